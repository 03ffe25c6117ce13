"""Raising and resolving alerts.

An alert is identified while open by ``open_key`` = ``terminal:kind:subject``
(unique), so concurrent hub processes cannot raise the same alert twice and
a condition that persists raises it once. Functions here run inside the
caller's transaction and return the payloads to send to the webhook after
commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from hub.fleet.models import Alert

ALERT_LABELS: dict[str, str] = {
    "offline": "终端离线",
    "paper_low": "打印纸将尽",
    "paper_out": "打印机缺纸",
    "device_error": "设备故障",
    "journal_backlog": "流水上传积压",
    "call_staff": "呼叫工作人员",
    "journal_integrity": "流水校验失败",
    "disk_full": "磁盘空间不足",
    "person_session_quota": "读卡核验次数超限",
}

# Kinds whose open/resolved state follows the latest heartbeat.
HEARTBEAT_KINDS = frozenset({"paper_low", "paper_out", "device_error", "journal_backlog"})

SYSTEM_ACTOR = "系统"


def open_key(terminal_id: int, kind: str, subject: str) -> str:
    return f"{terminal_id}:{kind}:{subject}"


def webhook_payload(
    event: str, terminal_id: int, kind: str, subject: str, detail: str, at: datetime
) -> dict[str, Any]:
    """The JSON the webhook receives: ``event`` is ``raised`` or ``resolved``."""
    return {
        "event": event,
        "terminal_id": terminal_id,
        "kind": kind,
        "label": ALERT_LABELS.get(kind, kind),
        "subject": subject,
        "detail": detail,
        "at": at.isoformat() + "Z",
    }


def raise_alert(
    conn: Connection, terminal_id: int, kind: str, subject: str, detail: str, now: datetime
) -> dict[str, Any] | None:
    """Open the alert unless it is already open; the webhook payload when newly raised."""
    key = open_key(terminal_id, kind, subject)
    exists = conn.execute(select(Alert.id).where(Alert.open_key == key)).first()
    if exists is not None:
        return None
    try:
        with conn.begin_nested():
            conn.execute(
                insert(Alert).values(
                    terminal_id=terminal_id,
                    kind=kind,
                    subject=subject,
                    detail=detail[:400],
                    raised_at=now,
                    open_key=key,
                )
            )
    except IntegrityError:
        return None  # another hub process raised it a moment ago
    return webhook_payload("raised", terminal_id, kind, subject, detail, now)


def resolve_open(
    conn: Connection, terminal_id: int, kind: str, subject: str, now: datetime, by: str
) -> dict[str, Any] | None:
    """Resolve the open alert ``kind``/``subject``; the webhook payload if one was open."""
    result = conn.execute(
        update(Alert)
        .where(Alert.open_key == open_key(terminal_id, kind, subject))
        .values(resolved_at=now, resolved_by=by, open_key=None)
    )
    if result.rowcount:
        return webhook_payload("resolved", terminal_id, kind, subject, "", now)
    return None


def sync_heartbeat_alerts(
    conn: Connection, terminal_id: int, wanted: dict[tuple[str, str], str], now: datetime
) -> list[dict[str, Any]]:
    """Make the open heartbeat-driven alerts of a terminal equal ``wanted``
    ((kind, subject) → detail): raise the missing ones, resolve the rest."""
    payloads: list[dict[str, Any]] = []
    rows = conn.execute(
        select(Alert.kind, Alert.subject).where(
            Alert.terminal_id == terminal_id,
            Alert.open_key.is_not(None),
            Alert.kind.in_(HEARTBEAT_KINDS),
        )
    ).all()
    open_now = {(r.kind, r.subject) for r in rows}
    for kind, subject in open_now - wanted.keys():
        payload = resolve_open(conn, terminal_id, kind, subject, now, SYSTEM_ACTOR)
        if payload:
            payloads.append(payload)
    for (kind, subject), detail in wanted.items():
        if (kind, subject) not in open_now:
            payload = raise_alert(conn, terminal_id, kind, subject, detail, now)
            if payload:
                payloads.append(payload)
    return payloads

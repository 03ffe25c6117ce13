"""Remote logs, time-boxed: an operator asks a terminal for its log lines of
a time window, or for debug logging until a time. The request waits in
``fleet_log_requests`` until the terminal polls for updates (so a terminal
that is offline gets it when it returns), the terminal uploads the lines
masked, and the hub runs its own privacy check over them before keeping
them: text that still carries an ID, card or phone number is refused."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from hub.fleet.clock import utcnow
from hub.fleet.models import LogRequest
from protocol.updates import LogRequestOffer

MAX_WINDOW = timedelta(days=7)
MAX_DEBUG = timedelta(hours=24)
# The same shapes the terminal masks (kiosk/agent/update_logs.py): 16-19
# digits (ID, bank card, payment code), an ID ending in X, a mobile number.
_PERSONAL = (
    re.compile(r"(?<![0-9A-Za-z])[0-9](?:[ -]?[0-9]){15,18}(?![0-9A-Za-z])"),
    re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[Xx](?![0-9A-Za-z])"),
    re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])"),
)


class LogRequestError(ValueError):
    """A request or an upload is refused; the message says why."""


def personal_data_in(text: str) -> bool:
    """Whether ``text`` still holds something shaped like personal data."""
    return any(p.search(text) for p in _PERSONAL)


def request_logs(
    conn: Connection,
    terminal_id: int,
    kind: str,
    until: datetime,
    actor: str,
    since: datetime | None = None,
) -> int:
    """Queue a request; its id. ``window`` needs ``since`` < ``until`` within
    7 days; ``debug`` runs from now until ``until`` (at most 24 h ahead)."""
    now = utcnow()
    if kind == "window":
        if since is None or since >= until:
            raise LogRequestError("时间窗须有开始且早于结束")
        if until - since > MAX_WINDOW:
            raise LogRequestError("时间窗不能超过 7 天")
    elif kind == "debug":
        if not now < until <= now + MAX_DEBUG:
            raise LogRequestError("调试日志须在 24 小时内结束")
        since = now
    else:
        raise LogRequestError(f"unknown kind {kind!r}")
    return int(
        conn.execute(
            insert(LogRequest)
            .values(
                terminal_id=terminal_id,
                kind=kind,
                since=since,
                until=until,
                state="queued",
                requested_by=actor,
                created_at=now,
            )
            .returning(LogRequest.id)
        ).scalar_one()
    )


def waiting_for(conn: Connection, terminal_id: int) -> list[LogRequestOffer]:
    """Requests not yet uploaded (marked delivered; offered again until uploaded)."""
    rows = conn.execute(
        select(LogRequest.id, LogRequest.kind, LogRequest.since, LogRequest.until).where(
            LogRequest.terminal_id == terminal_id, LogRequest.state.in_(("queued", "delivered"))
        )
    ).all()
    if rows:
        conn.execute(
            update(LogRequest)
            .where(LogRequest.id.in_([r.id for r in rows]), LogRequest.state == "queued")
            .values(state="delivered")
        )
    return [LogRequestOffer(id=r.id, kind=r.kind, since=r.since, until=r.until) for r in rows]


def store_upload(conn: Connection, terminal_id: int, request_id: int, text: str) -> None:
    """Keep the uploaded (masked) lines. Raises :class:`LogRequestError` when
    the request is not this terminal's or the text is not masked."""
    row = conn.execute(
        select(LogRequest.state).where(
            LogRequest.id == request_id, LogRequest.terminal_id == terminal_id
        )
    ).first()
    if row is None:
        raise LogRequestError("no such log request for this terminal")
    if personal_data_in(text):
        raise LogRequestError("log text holds unmasked personal data; refused")
    conn.execute(
        update(LogRequest)
        .where(LogRequest.id == request_id)
        .values(state="uploaded", uploaded_at=utcnow(), text=text)
    )

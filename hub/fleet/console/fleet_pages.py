"""Fleet overview, alerts and terminal detail (with remote commands)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hub.fleet import alerts as alert_logic
from hub.fleet import audit
from hub.fleet.clock import utcnow
from hub.fleet.commands import queue_command
from hub.fleet.console.security import Db, OperatorUser, RowId, Viewer, client_of
from hub.fleet.console.views import render, see_other
from hub.fleet.health import STATUS_LABELS, terminal_status
from hub.fleet.models import Alert, Command, HealthRecord, Screenshot, Terminal, TerminalEvent
from protocol.commands import (
    COMMANDS,
    CommandArgsError,
    command_kind,
    parse_command_args,
    wire_args,
)
from protocol.events import EventKind

router = APIRouter(tags=["console"], include_in_schema=False)

STATUS_ORDER = ("online", "degraded", "maintenance", "offline")


@dataclass
class TerminalRow:
    terminal: Terminal
    status: str
    devices: list[dict[str, Any]]
    open_alerts: int

    @property
    def place(self) -> str:
        t = self.terminal
        parts = [p for p in (t.county, t.town, t.village) if p]
        if t.branch:
            parts.append(t.branch)
        return " / ".join(parts)


def _rows(request: Request, db: Session, include_revoked: bool = False) -> list[TerminalRow]:
    interval = request.app.state.settings.heartbeat_interval_s
    now = utcnow()
    query = select(Terminal).order_by(Terminal.county, Terminal.town, Terminal.village, Terminal.id)
    if not include_revoked:
        query = query.where(Terminal.revoked_at.is_(None))
    open_counts: dict[int, int] = dict(
        db.execute(
            select(Alert.terminal_id, func.count())
            .where(Alert.open_key.is_not(None))
            .group_by(Alert.terminal_id)
        ).all()
    )
    rows = []
    for t in db.execute(query).scalars():
        devices = json.loads(t.devices_json or "[]")
        status = terminal_status(
            last_seen_at=t.last_seen_at,
            maintenance=t.maintenance,
            devices=devices,
            revoked=t.revoked_at is not None,
            now=now,
            heartbeat_interval_s=interval,
        )
        rows.append(TerminalRow(t, status, devices, open_counts.get(t.id, 0)))
    return rows


def _overview_context(
    request: Request, db: Session, county: str, town: str, status: str
) -> dict[str, Any]:
    rows = _rows(request, db)
    counts = {s: 0 for s in STATUS_ORDER}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    counties = sorted({r.terminal.county for r in rows if r.terminal.county})
    towns = sorted(
        {
            r.terminal.town
            for r in rows
            if r.terminal.town and (not county or r.terminal.county == county)
        }
    )
    shown = [
        r
        for r in rows
        if (not county or r.terminal.county == county)
        and (not town or r.terminal.town == town)
        and (not status or r.status == status)
    ]
    return {
        "rows": shown,
        "total": len(rows),
        "counts": counts,
        "status_order": STATUS_ORDER,
        "counties": counties,
        "towns": towns,
        "f_county": county,
        "f_town": town,
        "f_status": status if status in STATUS_LABELS else "",
    }


Filter = Annotated[str, Query(max_length=60)]


@router.get("/")
def overview(
    request: Request,
    user: Viewer,
    db: Db,
    county: Filter = "",
    town: Filter = "",
    status: Filter = "",
) -> HTMLResponse:
    ctx = _overview_context(request, db, county, town, status)
    return render(request, "overview.html", user, **ctx)


@router.get("/fragments/overview")
def overview_fragment(
    request: Request,
    user: Viewer,
    db: Db,
    county: Filter = "",
    town: Filter = "",
    status: Filter = "",
) -> HTMLResponse:
    ctx = _overview_context(request, db, county, town, status)
    return render(request, "_overview.html", user, **ctx)


def _alert_context(db: Session, show_resolved: bool) -> dict[str, Any]:
    query = (
        select(Alert, Terminal.name)
        .join(Terminal, Terminal.id == Alert.terminal_id)
        .order_by(Alert.raised_at.desc())
    )
    query = query.limit(200) if show_resolved else query.where(Alert.open_key.is_not(None))
    return {
        "alerts": db.execute(query).all(),
        "show_resolved": show_resolved,
        "now": utcnow(),
    }


@router.get("/alerts")
def alerts_page(request: Request, user: Viewer, db: Db, resolved: bool = False) -> HTMLResponse:
    return render(request, "alerts.html", user, **_alert_context(db, resolved))


@router.get("/fragments/alerts")
def alerts_fragment(request: Request, user: Viewer, db: Db, resolved: bool = False) -> HTMLResponse:
    return render(request, "_alerts.html", user, **_alert_context(db, resolved))


def _alert_or_404(db: Session, alert_id: RowId) -> Alert:
    alert = db.get(Alert, alert_id)
    if alert is None:
        raise HTTPException(404, detail="告警不存在")
    return alert


@router.post("/alerts/{alert_id}/ack")
def ack_alert(request: Request, alert_id: RowId, user: OperatorUser, db: Db) -> Response:
    alert = _alert_or_404(db, alert_id)
    if alert.acked_at is None:
        alert.acked_at = utcnow()
        alert.acked_by = user.username
    audit.record(
        db.connection(),
        user.username,
        "alert_ack",
        f"alert:{alert.id} terminal:{alert.terminal_id}",
        alert_logic.ALERT_LABELS.get(alert.kind, alert.kind),
        "ok",
        client_of(request),
    )
    return see_other(db, "/console/alerts?msg=已确认告警")


@router.post("/alerts/{alert_id}/resolve")
def resolve_alert(request: Request, alert_id: RowId, user: OperatorUser, db: Db) -> Response:
    alert = _alert_or_404(db, alert_id)
    if alert.resolved_at is None:
        db.execute(
            update(Alert)
            .where(Alert.id == alert.id)
            .values(resolved_at=utcnow(), resolved_by=user.username, open_key=None)
        )
    audit.record(
        db.connection(),
        user.username,
        "alert_resolve",
        f"alert:{alert.id} terminal:{alert.terminal_id}",
        alert_logic.ALERT_LABELS.get(alert.kind, alert.kind),
        "ok",
        client_of(request),
    )
    return see_other(db, "/console/alerts?msg=已解除告警")


def _terminal_or_404(db: Session, terminal_id: RowId) -> Terminal:
    terminal = db.get(Terminal, terminal_id)
    if terminal is None:
        raise HTTPException(404, detail="终端不存在")
    return terminal


def _detail_context(request: Request, db: Session, terminal_id: RowId) -> dict[str, Any]:
    terminal = _terminal_or_404(db, terminal_id)
    row = next(r for r in _rows(request, db, include_revoked=True) if r.terminal.id == terminal_id)
    history = (
        db.execute(
            select(HealthRecord)
            .where(HealthRecord.terminal_id == terminal_id)
            .order_by(HealthRecord.id.desc())
            .limit(50)
        )
        .scalars()
        .all()
    )
    commands = (
        db.execute(
            select(Command)
            .where(Command.terminal_id == terminal_id)
            .order_by(Command.id.desc())
            .limit(30)
        )
        .scalars()
        .all()
    )
    shot_at = db.execute(
        select(Screenshot.taken_at).where(Screenshot.terminal_id == terminal_id)
    ).scalar_one_or_none()
    since = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    summaries = [
        json.loads(d)
        for d in db.execute(
            select(TerminalEvent.data_json).where(
                TerminalEvent.terminal_id == terminal_id,
                TerminalEvent.kind == EventKind.SESSION_SUMMARY,
                TerminalEvent.at >= since,
            )
        ).scalars()
    ]
    sessions = {
        "today": len(summaries),
        "completed": sum(1 for s in summaries if isinstance(s, dict) and s.get("completed")),
        "calls": db.execute(
            select(func.count())
            .select_from(TerminalEvent)
            .where(
                TerminalEvent.terminal_id == terminal_id,
                TerminalEvent.kind == EventKind.CALL_STAFF,
                TerminalEvent.at >= since,
            )
        ).scalar_one(),
    }
    events = db.execute(
        select(TerminalEvent.kind, TerminalEvent.at, TerminalEvent.received_at)
        .where(TerminalEvent.terminal_id == terminal_id)
        .order_by(TerminalEvent.id.desc())
        .limit(20)
    ).all()
    return {
        "t": terminal,
        "row": row,
        "events": events,
        "history": history,
        "commands": commands,
        "shot_at": shot_at,
        "sessions": sessions,
        # Kinds, labels and argument ranges come from the schemas (protocol.commands):
        # the form offers exactly what the hub and the kiosk accept.
        "command_specs": list(COMMANDS.values()),
        "hardware": readable_hardware(terminal.hardware_json),
    }


def readable_hardware(stored: str | None) -> dict[str, str]:
    """The hardware facts of a terminal for its page, whatever was stored: a row
    written before enrolment bodies were bounded may hold cut JSON, and the
    page (with its revoke button) must still open."""
    try:
        facts = json.loads(stored or "{}")
    except ValueError:
        return {"?": (stored or "")[:200]}
    if not isinstance(facts, dict):
        return {"?": str(facts)[:200]}
    return {str(k)[:40]: str(v)[:200] for k, v in list(facts.items())[:32]}


@router.get("/terminals/{terminal_id}")
def terminal_page(request: Request, terminal_id: RowId, user: Viewer, db: Db) -> HTMLResponse:
    return render(request, "terminal.html", user, **_detail_context(request, db, terminal_id))


@router.get("/fragments/terminals/{terminal_id}")
def terminal_fragment(request: Request, terminal_id: RowId, user: Viewer, db: Db) -> HTMLResponse:
    return render(request, "_terminal.html", user, **_detail_context(request, db, terminal_id))


@router.get("/terminals/{terminal_id}/screenshot.png")
def terminal_screenshot(terminal_id: RowId, user: Viewer, db: Db) -> Response:
    png = db.execute(
        select(Screenshot.png).where(Screenshot.terminal_id == terminal_id)
    ).scalar_one_or_none()
    if png is None:
        raise HTTPException(404, detail="暂无截屏")
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


_ARGUMENT_NAMES = frozenset(f.name for spec in COMMANDS.values() for f in spec.fields)


async def _command_fields(request: Request) -> dict[str, str]:
    """The submitted values of the command arguments (any kind's), as text."""
    form = await request.form()
    return {name: value for name in _ARGUMENT_NAMES if isinstance(value := form.get(name), str)}


@router.post("/terminals/{terminal_id}/commands")
def send_command(
    request: Request,
    terminal_id: RowId,
    user: OperatorUser,
    db: Db,
    kind: Annotated[str, Form(max_length=30)],
    fields: Annotated[dict[str, str], Depends(_command_fields)],
) -> Response:
    terminal = _terminal_or_404(db, terminal_id)
    target = f"terminal:{terminal_id}"
    if terminal.revoked_at is not None:
        raise HTTPException(409, detail="终端已注销")
    try:
        command = command_kind(kind)
        args = parse_command_args(command, fields)
    except CommandArgsError as exc:
        audit.record(
            db.connection(),
            user.username,
            "command",
            target,
            f"{kind}: {exc}",
            "failed",
            client_of(request),
        )
        db.commit()
        return see_other(db, f"/console/terminals/{terminal_id}?err={exc}")
    command_id = queue_command(db.connection(), terminal_id, command, args, user.username)
    audit.record(
        db.connection(),
        user.username,
        "command",
        target,
        f"{kind} #{command_id} {json.dumps(wire_args(args), ensure_ascii=False)}",
        "ok",
        client_of(request),
    )
    db.commit()
    request.app.state.fleet.bus.notify(terminal_id)
    label = COMMANDS[command].label
    return see_other(db, f"/console/terminals/{terminal_id}?msg=已下发：{label}")

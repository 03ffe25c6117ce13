"""Maintenance, reboot and screen windows per place or terminal
(``fleet_windows``). The most specific scope wins: ``terminal:<id>``, then the
village, town and county of the terminal's place, then ``place:`` (all)."""

from __future__ import annotations

import re

from sqlalchemy import Connection, insert, select, update

from hub.fleet.auth import TerminalIdentity
from hub.fleet.clock import utcnow
from hub.fleet.models import FleetWindow
from protocol.updates import TIME, Windows

_TIME = re.compile(TIME)


class WindowError(ValueError):
    """A window's scope or time is malformed; the message says which."""


def scopes_of(terminal: TerminalIdentity) -> list[str]:
    """The scopes that cover ``terminal``, most specific first."""
    parts = [p for p in (terminal.county, terminal.town, terminal.village) if p]
    places = ["place:" + "/".join(parts[:n]) for n in range(len(parts), 0, -1)]
    return [f"terminal:{terminal.id}", *places, "place:"]


def windows_for(conn: Connection, terminal: TerminalIdentity) -> Windows:
    scopes = scopes_of(terminal)
    rows = {
        r.scope: r
        for r in conn.execute(
            select(FleetWindow.__table__).where(FleetWindow.scope.in_(scopes))
        ).all()
    }
    for scope in scopes:
        row = rows.get(scope)
        if row is not None:
            return Windows(
                maintenance_start=row.maintenance_start,
                maintenance_end=row.maintenance_end,
                reboot_at=row.reboot_at,
                screen_on=row.screen_on,
                screen_off=row.screen_off,
            )
    return Windows()


def set_window(
    conn: Connection,
    scope: str,
    actor: str,
    maintenance_start: str,
    maintenance_end: str,
    reboot_at: str | None = None,
    screen_on: str | None = None,
    screen_off: str | None = None,
) -> None:
    """Create or replace the window of ``scope``. Raises :class:`WindowError`."""
    if not (scope.startswith("place:") or re.fullmatch(r"terminal:\d{1,10}", scope)):
        raise WindowError("范围应为 place:县/镇/村 或 terminal:编号")
    for name, value in (
        ("maintenance_start", maintenance_start),
        ("maintenance_end", maintenance_end),
        ("reboot_at", reboot_at),
        ("screen_on", screen_on),
        ("screen_off", screen_off),
    ):
        if value is not None and not _TIME.match(value):
            raise WindowError(f"{name} 应为 HH:MM")
    if (screen_on is None) != (screen_off is None):
        raise WindowError("开屏与关屏时间须同时设置")
    row = {
        "maintenance_start": maintenance_start,
        "maintenance_end": maintenance_end,
        "reboot_at": reboot_at,
        "screen_on": screen_on,
        "screen_off": screen_off,
        "updated_by": actor,
        "updated_at": utcnow(),
    }
    if conn.execute(select(FleetWindow.scope).where(FleetWindow.scope == scope)).first():
        conn.execute(update(FleetWindow).where(FleetWindow.scope == scope).values(**row))
    else:
        conn.execute(insert(FleetWindow).values(scope=scope, **row))

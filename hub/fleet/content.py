"""Content pushed to terminals: announcements and per-place switches of
catalogue items.

A *scope* is a place prefix ``county[/town[/village]]`` ("" = every
terminal); a terminal matches a scope when its place path equals it or lies
below it. For catalogue switches the most specific matching scope wins.
The catalogue itself is read through :func:`catalogue_items`, which uses
the services' catalogue loader (``hub.services.catalogue.load_catalogue``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, or_, select

from hub.fleet.auth import TerminalIdentity, place_path
from hub.fleet.clock import utcnow
from hub.fleet.models import Announcement, CatalogueSwitch, Terminal
from hub.settings import HubSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CatalogueEntry:
    id: str
    name: str
    default_enabled: bool


def catalogue_items(settings: HubSettings) -> tuple[list[CatalogueEntry], str]:
    """(items of the service catalogue, problem text or "")."""
    from hub.services.catalogue import CatalogueError, load_catalogue

    try:
        catalogue = load_catalogue(Path(settings.catalogue_path))
    except CatalogueError as exc:
        log.warning("catalogue unreadable for the console: %s", exc)
        return [], "；".join(exc.problems)
    return [
        CatalogueEntry(item.id, item.name, item.enabled.get("*", True)) for item in catalogue.items
    ], ""


def scope_matches(scope: str, path: str) -> bool:
    return scope in ("", path) or path.startswith(scope + "/")


def normalise_scope(county: str, town: str, village: str) -> str:
    """The scope for a place form: empty trailing parts widen it."""
    parts = [county.strip(), town.strip(), village.strip()]
    kept: list[str] = []
    for part in parts:
        if not part:
            break
        kept.append(part)
    return "/".join(kept)


def switches_for(conn: Connection, path: str) -> dict[str, bool]:
    """service_id → enabled for a place path (most specific scope wins)."""
    rows = conn.execute(
        select(CatalogueSwitch.scope, CatalogueSwitch.service_id, CatalogueSwitch.enabled)
    ).all()
    best: dict[str, tuple[int, bool]] = {}
    for row in rows:
        if not scope_matches(row.scope, path):
            continue
        depth = 0 if row.scope == "" else row.scope.count("/") + 1
        if row.service_id not in best or depth >= best[row.service_id][0]:
            best[row.service_id] = (depth, row.enabled)
    return {service_id: enabled for service_id, (_, enabled) in best.items()}


def disabled_services(conn: Connection, path: str) -> list[str]:
    return sorted(s for s, enabled in switches_for(conn, path).items() if not enabled)


def active_announcements(conn: Connection, path: str) -> list[dict[str, Any]]:
    now = utcnow()
    rows = conn.execute(
        select(Announcement.id, Announcement.text, Announcement.scope, Announcement.until)
        .where(
            Announcement.withdrawn_at.is_(None),
            or_(Announcement.until.is_(None), Announcement.until > now),
        )
        .order_by(Announcement.id)
    ).all()
    return [
        {"id": a.id, "text": a.text, "until": a.until.isoformat() if a.until else None}
        for a in rows
        if scope_matches(a.scope, path)
    ]


def terminal_config(fleet: Any, terminal: TerminalIdentity) -> dict[str, Any]:
    """Body of ``GET /api/v1/terminal/config``."""
    with fleet.engine.connect() as conn:
        return {
            "heartbeat_interval_s": fleet.settings.heartbeat_interval_s,
            "announcements": active_announcements(conn, terminal.place_path),
            "disabled_services": disabled_services(conn, terminal.place_path),
        }


def terminals_in_scope(conn: Connection, scope: str) -> list[tuple[int, str]]:
    """(id, place path) of the active terminals a scope covers."""
    rows = conn.execute(
        select(Terminal.id, Terminal.county, Terminal.town, Terminal.village).where(
            Terminal.revoked_at.is_(None)
        )
    ).all()
    found = []
    for row in rows:
        path = place_path(row.county, row.town, row.village)
        if scope_matches(scope, path):
            found.append((row.id, path))
    return found

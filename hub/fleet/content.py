"""Content pushed to terminals: announcements and per-place switches of
catalogue items.

Announcements have a *scope*, a place prefix ``county[/town[/village]]``
("" = every terminal); a terminal matches when its place path equals it or
lies below it.

Catalogue switches are not stored here: the service API owns which item is
offered at which service point (``hub.services.catalogue_store``, place
codes from ``config/catalogue.json``), so the console writes through
``set_item_enabled`` and terminals pick the change up when they reload
their catalogue (the ``reload_catalogue`` command).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, or_, select
from sqlalchemy.orm import Session

from hub.fleet.auth import TerminalIdentity, place_path
from hub.fleet.clock import utcnow
from hub.fleet.models import Announcement, Terminal
from hub.services.catalogue import Catalogue, load_catalogue
from hub.services.catalogue_store import DEFAULT_PLACE, enabled_items
from hub.services.demo_provider import resolve_path
from hub.settings import HubSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CatalogueEntry:
    id: str
    name: str
    enabled: bool


@dataclass(frozen=True)
class CataloguePlace:
    code: str  # "*" = the default for every place
    name: str


def _catalogue(app_state: Any, settings: HubSettings) -> Catalogue:
    services = getattr(app_state, "services", None)
    if services is not None:
        catalogue: Catalogue = services.catalogue
        return catalogue
    return load_catalogue(resolve_path(settings.catalogue_path))


def catalogue_places(app_state: Any, settings: HubSettings) -> list[CataloguePlace]:
    """The default scope and every service point of the catalogue."""
    catalogue = _catalogue(app_state, settings)
    return [CataloguePlace(DEFAULT_PLACE, "全部服务点（默认）")] + [
        CataloguePlace(p.code, p.name) for p in catalogue.places
    ]


def catalogue_visits(app_state: Any, settings: HubSettings) -> dict[str, str]:
    """Item id → 跑动次数 (零跑动 / 最多跑一次 / 跑动两次)."""
    return {item.id: item.visits for item in _catalogue(app_state, settings).items}


def catalogue_entries(
    session: Session, app_state: Any, settings: HubSettings, place: str
) -> list[CatalogueEntry]:
    """Every catalogue item with whether it is offered at ``place``, as the
    service API decides it (``hub.services.catalogue_store.enabled_items``)."""
    catalogue = _catalogue(app_state, settings)
    on = {item.id for item in enabled_items(session, None if place == DEFAULT_PLACE else place)}
    return [CatalogueEntry(item.id, item.name, item.id in on) for item in catalogue.items]


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

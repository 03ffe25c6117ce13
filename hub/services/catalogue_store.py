"""The catalogue in the database: seeded from the file, then owned by operators.

At start, items in the file that the database lacks are inserted with their
per-place ``enabled`` flags; items already there are left as operators
edited them (an operator's edit is never overwritten by a restart).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.services.catalogue import Catalogue, CatalogueItem
from hub.services.clock import db_time
from hub.services.models import CatalogueItemRow, ItemPlaceRow

DEFAULT_PLACE = "*"


def seed_catalogue(session: Session, catalogue: Catalogue, now: datetime) -> int:
    """Insert the file's items missing from the database; return how many were added."""
    existing = set(session.scalars(select(CatalogueItemRow.id)))
    added = 0
    for position, item in enumerate(catalogue.items):
        if item.id in existing:
            continue
        session.add(
            CatalogueItemRow(
                id=item.id,
                topic=item.topic,
                position=position,
                name=item.name,
                guide=item.model_dump(mode="json", exclude={"enabled"}),
                created_at=db_time(now),
            )
        )
        session.flush()
        for place, enabled in item.enabled.items():
            session.add(ItemPlaceRow(item_id=item.id, place=place, enabled=enabled))
        added += 1
    return added


def enabled_items(session: Session, place: str | None) -> list[CatalogueItem]:
    """Items offered at ``place`` (or by default when ``None``), in catalogue order.

    A place's own row wins over the ``*`` default; an item with neither is off.
    """
    flags: dict[str, dict[str, bool]] = {}
    for flag in session.scalars(select(ItemPlaceRow)):
        flags.setdefault(flag.item_id, {})[flag.place] = flag.enabled
    result = []
    for row in session.scalars(select(CatalogueItemRow).order_by(CatalogueItemRow.position)):
        item_flags = flags.get(row.id, {})
        on = item_flags.get(place or DEFAULT_PLACE, item_flags.get(DEFAULT_PLACE, False))
        if on:
            result.append(CatalogueItem.model_validate(row.guide))
    return result


def get_item(session: Session, item_id: str) -> CatalogueItem | None:
    """One item's guide as stored, or ``None``."""
    row = session.get(CatalogueItemRow, item_id)
    return CatalogueItem.model_validate(row.guide) if row else None


def set_item_enabled(session: Session, item_id: str, place: str, enabled: bool) -> None:
    """Turn an item on or off at one place (``*`` for the default). For the console.

    Raises ``KeyError`` if the item does not exist.
    """
    if session.get(CatalogueItemRow, item_id) is None:
        raise KeyError(item_id)
    row = session.get(ItemPlaceRow, (item_id, place))
    if row is None:
        session.add(ItemPlaceRow(item_id=item_id, place=place, enabled=enabled))
    else:
        row.enabled = enabled

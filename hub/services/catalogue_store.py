"""The catalogue in the database: seeded from the file, then owned by operators.

At start, items in the file that the database lacks are inserted with their
per-place ``enabled`` flags. An item already there takes the file's newer
guide only while its stored guide is the one last taken from the file
(``file_digest``): an operator's edit is never overwritten by a restart, and
neither are the per-place switches.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.services.catalogue import Catalogue, CatalogueItem
from hub.services.clock import db_time
from hub.services.models import CatalogueItemRow, ItemPlaceRow

DEFAULT_PLACE = "*"
log = logging.getLogger(__name__)


def guide_digest(guide: dict[str, Any]) -> str:
    """SHA-256 of a guide's canonical JSON."""
    text = json.dumps(guide, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def seed_catalogue(session: Session, catalogue: Catalogue, now: datetime) -> int:
    """Insert the file's items missing from the database and bring unedited
    ones up to the file; return how many were added."""
    existing = {row.id: row for row in session.scalars(select(CatalogueItemRow))}
    added = 0
    for position, item in enumerate(catalogue.items):
        guide = item.model_dump(mode="json", exclude={"enabled"})
        digest = guide_digest(guide)
        row = existing.get(item.id)
        if row is not None:
            _follow_file(row, item, guide, digest, position)
            continue
        session.add(
            CatalogueItemRow(
                id=item.id,
                topic=item.topic,
                position=position,
                name=item.name,
                guide=guide,
                created_at=db_time(now),
                file_digest=digest,
            )
        )
        session.flush()
        for place, enabled in item.enabled.items():
            session.add(ItemPlaceRow(item_id=item.id, place=place, enabled=enabled))
        added += 1
    return added


def _follow_file(
    row: CatalogueItemRow, item: CatalogueItem, guide: dict[str, Any], digest: str, position: int
) -> None:
    stored = guide_digest(row.guide)
    if stored == digest:
        row.file_digest = digest
        return
    # No digest: seeded before digests were kept, when guides could not be
    # edited on the hub, so the stored guide is an older file's.
    if row.file_digest is not None and row.file_digest != stored:
        log.warning(
            "catalogue: %s was edited on the hub; the file's version is not applied", row.id
        )
        return
    row.guide = guide
    row.name = item.name
    row.topic = item.topic
    row.position = position
    row.file_digest = digest
    log.info("catalogue: %s updated from the file", row.id)


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

"""An edit to an existing item in config/catalogue.json reaches the database
at the next start, unless the item was edited on the hub since."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import update

from hub.services.catalogue_store import get_item
from hub.services.clock import ManualClock
from hub.services.models import CatalogueItemRow
from hub.services.payments.sandbox import SandboxPaymentProvider
from tests.hub.services.conftest import REPO, build_services_app

ITEM = "rsi_pension_claim"


def start(db: str, catalogue: Path, clock: ManualClock) -> Any:
    return build_services_app(
        db, clock, SandboxPaymentProvider(clock), catalogue_path=str(catalogue)
    ).state.sessionmaker


def edit_file(path: Path, **changes: Any) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    item = next(i for i in data["items"] if i["id"] == ITEM)
    item.update(changes)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_a_file_edit_reaches_an_unedited_item_and_spares_an_edited_one(
    tmp_path: Path, clock: ManualClock
) -> None:
    db = f"sqlite:///{tmp_path / 'catalogue.db'}"
    catalogue = tmp_path / "catalogue.json"
    catalogue.write_text((REPO / "config/catalogue.json").read_text("utf-8"), encoding="utf-8")
    factory = start(db, catalogue, clock)
    with factory() as s:
        assert get_item(s, ITEM).phone == "0371-26961234"

    edit_file(catalogue, phone="0371-26960000", name="城乡居民养老保险待遇申领（新）")
    factory = start(db, catalogue, clock)
    with factory() as s:
        item = get_item(s, ITEM)
        assert item.phone == "0371-26960000" and item.name.endswith("（新）")
        assert s.get(CatalogueItemRow, ITEM).name.endswith("（新）")

    # Edited on the hub: a later file edit does not overwrite it.
    with factory() as s, s.begin():
        row = s.get(CatalogueItemRow, ITEM)
        row.guide = {**row.guide, "phone": "0371-26961111"}
    edit_file(catalogue, phone="0371-26962222")
    factory = start(db, catalogue, clock)
    with factory() as s:
        assert get_item(s, ITEM).phone == "0371-26961111"


def test_items_seeded_before_digests_follow_the_file(tmp_path: Path, clock: ManualClock) -> None:
    db = f"sqlite:///{tmp_path / 'catalogue.db'}"
    catalogue = tmp_path / "catalogue.json"
    catalogue.write_text((REPO / "config/catalogue.json").read_text("utf-8"), encoding="utf-8")
    factory = start(db, catalogue, clock)
    with factory() as s, s.begin():
        s.execute(update(CatalogueItemRow).values(file_digest=None))
    edit_file(catalogue, phone="0371-26963333")
    factory = start(db, catalogue, clock)
    with factory() as s:
        assert get_item(s, ITEM).phone == "0371-26963333"
        assert s.get(CatalogueItemRow, ITEM).file_digest is not None

"""The Alembic migrations build exactly the schema the models describe.

A model change without its migration (or a hand-edited revision that
drifted) fails here, before it can reach a county's database.
"""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import hub.fleet.models
import hub.services.models
from hub.db import Base, make_engine
from hub.schema import MIGRATIONS_DIR, alembic_config, upgrade

MODEL_MODULES = (hub.fleet.models, hub.services.models)


def test_one_head() -> None:
    cfg = alembic_config(make_engine("sqlite://"))
    heads = ScriptDirectory.from_config(cfg).get_heads()
    assert len(heads) == 1, f"migrations have several heads, merge them: {heads}"


def test_migrations_match_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"
    assert set(inspect(engine).get_table_names()) >= {t.name for t in Base.metadata.sorted_tables}


def test_upgrade_is_idempotent(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    upgrade(engine)
    upgrade(engine)  # every hub process runs it at start


def test_revisions_live_in_the_package() -> None:
    assert (MIGRATIONS_DIR / "versions").is_dir()
    assert list((MIGRATIONS_DIR / "versions").glob("*.py"))

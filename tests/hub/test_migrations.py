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


def test_a_database_with_data_comes_to_head_with_every_row(tmp_path: Path) -> None:
    """The trust migrations rebuild referenced tables (SQLite batch mode): an
    application's events and an operator's sessions must come through, and the
    foreign keys be enforced again afterwards. With the keys enforced during
    the rebuild, the events were deleted by ON DELETE CASCADE and the
    operators' rebuild failed on the sessions that refer to them."""
    from alembic import command
    from sqlalchemy import text

    from hub.crypto import DataCipher, digest, new_key_line, parse_key_file

    engine = make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "e279499a5bce")  # before both trust migrations
        at = "'2026-11-22 00:00:00.000000'"
        for statement in (
            "INSERT INTO svc_applications (id, acceptance_no, item_id, item_name, person_ref,"
            " id_masked, name_masked, contact_phone, form, delivery_method, delivery_address,"
            " status, promised_days, created_at, updated_at) VALUES (1, '20261122000001', 'i', 'n',"
            f" 'r', 'm', 'm', '13912345678', '{{}}', 'pickup', NULL, 'accepted', 5, {at}, {at})",
            "INSERT INTO svc_application_events (application_id, status, note, at)"
            f" VALUES (1, 'accepted', '', {at}), (1, 'reviewing', '', {at})",
            "INSERT INTO fleet_operators (id, username, display_name, role, password_hash,"
            f" failed_logins, disabled, created_at) VALUES (1, 'a', '', 'admin', 'x', 0, 0, {at})",
            "INSERT INTO fleet_operator_sessions (id, operator_id, csrf_token, created_at,"
            f" last_seen_at) VALUES ('clear-id', 1, 'c', {at}, {at})",
            "INSERT INTO fleet_audit_log (at, actor, action, target, detail, result, client)"
            f" VALUES ({at}, 'a', 'login', '', '', 'ok', '')",
        ):
            conn.execute(text(statement))
    upgrade(engine, DataCipher(parse_key_file(new_key_line())))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM svc_application_events")).scalar() == 2
        assert conn.execute(text("SELECT role FROM fleet_operators")).scalar() == "system_admin"
        session_id = conn.execute(text("SELECT id FROM fleet_operator_sessions")).scalar()
        assert session_id == digest("sha256", b"clear-id")
        assert conn.execute(text("SELECT seq FROM fleet_audit_log")).scalar() == 1
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()

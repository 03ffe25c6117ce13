"""Brings the database schema up to date with Alembic at hub start.

Every hub process runs this; Alembic's version table makes it idempotent,
and on PostgreSQL an advisory lock keeps two processes from migrating at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_MIGRATION_LOCK = 0x48554D49  # "HUMI": any constant shared by all hub processes


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, data_cipher: Any = None) -> None:
    """Apply every pending migration. ``data_cipher`` (hub.crypto.DataCipher)
    lets a migration encrypt rows already stored; without it such a migration
    stops on a database that has them."""
    cfg = alembic_config(engine)
    cfg.attributes["data_cipher"] = data_cipher
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            try:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                conn.commit()
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
                conn.commit()
    else:
        _upgrade_sqlite(engine, cfg)


def _upgrade_sqlite(engine: Engine, cfg: Config) -> None:
    """SQLite alters a table by rebuilding it (Alembic's batch mode): with
    foreign keys enforced (hub.db turns them on), dropping the old copy of a
    referenced table deletes the rows that refer to it (ON DELETE CASCADE: an
    application's events) or fails outright (an operator's sessions). So the
    keys are off while migrating, as SQLite's own procedure for altering
    tables says, and every reference is checked before the commit."""
    with engine.connect() as conn:
        # Only takes effect outside a transaction: run and commit on its own.
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(
                        f"migration left {len(broken)} broken references "
                        f"(first: table {broken[0][0]}, row {broken[0][1]}); rolled back"
                    )
        finally:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()

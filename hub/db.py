"""Database plumbing shared by every hub module: one declarative ``Base``,
an engine built from ``database_url`` and a per-request session dependency.

SQLite runs in WAL mode with a busy timeout so that the console, the
terminal API and background sweeps can write concurrently; PostgreSQL is
used as is. Hub processes keep no state outside the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class Base(DeclarativeBase):
    """Declarative base of every hub table (services and fleet)."""


def make_engine(database_url: str) -> Engine:
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if database_url.startswith("sqlite"):
        db_path = database_url.split("///", 1)[-1]
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(database_url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

    return engine


def make_sessionmaker(engine: Engine, data_cipher: Any = None) -> sessionmaker[Session]:
    """Sessions of the hub. ``data_cipher`` (hub.crypto.DataCipher) rides in each
    session's ``info`` for the code that seals and opens personal data
    (hub/services/contact.py), wherever it is called from."""
    return sessionmaker(engine, expire_on_commit=False, info={"data_cipher": data_cipher})


def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on error."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

"""Alembic environment: runs against the connection handed in by
:mod:`hub.schema` (or an engine from ``HUB_DATABASE_URL`` for the CLI)."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

import hub.documents.models
import hub.fleet.models
import hub.services.models
from hub.db import Base

# Importing the model modules registers their tables on Base.metadata.
MODEL_MODULES = (hub.fleet.models, hub.services.models)

target_metadata = Base.metadata
config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        url = os.environ.get("HUB_DATABASE_URL", "sqlite:///var/hub.db")
        with create_engine(url).connect() as conn:
            _migrate(conn)
            conn.commit()
    else:
        _migrate(connection)


def _migrate(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite needs batch mode to alter tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()

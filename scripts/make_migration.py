"""Autogenerates an Alembic revision from the hub's models.

``python scripts/make_migration.py "message"`` compares the models with a
database migrated to head (a temporary SQLite file) and writes the new
revision to hub/migrations/versions/.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from hub.db import make_engine
from hub.schema import alembic_config, upgrade


def main() -> int:
    message = sys.argv[1] if len(sys.argv) > 1 else "schema change"
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'head.db'}")
        upgrade(engine)
        cfg = alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.revision(cfg, message=message, autogenerate=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Named counters in the database: acceptance numbers, queue tickets.

Works on SQLite and PostgreSQL with several hub processes: the increment is
one UPDATE; the first use of a name inserts it and, if another process won
that race, retries the UPDATE.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.services.models import SequenceRow


def next_value(session: Session, name: str) -> int:
    """Increment counter ``name`` (starting at 1) and return its new value."""
    for _ in range(3):
        result = session.execute(
            update(SequenceRow)
            .where(SequenceRow.name == name)
            .values(value=SequenceRow.value + 1)
            .returning(SequenceRow.value)
        ).scalar_one_or_none()
        if result is not None:
            return int(result)
        try:
            with session.begin_nested():
                session.add(SequenceRow(name=name, value=1))
            return 1
        except IntegrityError:
            continue
    value = session.execute(select(SequenceRow.value).where(SequenceRow.name == name)).scalar_one()
    raise RuntimeError(f"counter {name} could not be incremented (at {value})")

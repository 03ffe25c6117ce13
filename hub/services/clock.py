"""Time for the service side, injectable so tests (and the payment sandbox)
run hours of protocol time in milliseconds.

Every timestamp the services store is naive UTC (SQLite keeps no zone);
dates a person sees (acceptance numbers, ticket days, receipts) are in
China Standard Time, which has had no daylight saving since 1991.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Protocol

CST = timezone(timedelta(hours=8), "CST")


class Clock(Protocol):
    """A source of the current time."""

    def now(self) -> datetime:
        """The current time as an aware UTC datetime."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (tests, simulations). Thread-safe."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (>= 0)."""
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        with self._lock:
            self._now += timedelta(seconds=seconds)


def db_time(moment: datetime) -> datetime:
    """``moment`` as the naive UTC value stored in the database."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_db(value: datetime) -> datetime:
    """A stored naive UTC value back as an aware UTC datetime."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def local_date(moment: datetime) -> date:
    """The calendar date in China Standard Time of an aware or stored-UTC moment."""
    return from_db(moment).astimezone(CST).date()


def local_text(moment: datetime) -> str:
    """``YYYY-MM-DD HH:MM`` in China Standard Time, as printed on receipts."""
    return from_db(moment).astimezone(CST).strftime("%Y-%m-%d %H:%M")

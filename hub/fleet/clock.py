"""UTC time as stored in the fleet tables (timezone-naive UTC, see models)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now in UTC without tzinfo, the form every fleet column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def parse_terminal_time(value: str | None, default: datetime) -> datetime:
    """An ISO 8601 timestamp from a terminal as naive UTC; ``default`` when
    missing or unparsable (a terminal's clock string must never fail an upload)."""
    if not value:
        return default
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return default
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed

"""Events and journal records a terminal forwards to the hub (DESIGN §5, §6).

Both travel in batches through the kiosk's outbox and are stored once per
``key`` by the hub. ``kind`` stays free text on the wire (a newer terminal's
kind is stored, not refused); :class:`EventKind` names the kinds both sides act on.
"""

from __future__ import annotations

import enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from protocol.heartbeat import INT32_MAX

EVENTS_PATH = "/api/v1/terminal/events"
JOURNAL_PATH = "/api/v1/terminal/journal"
KEY_MAX = 80
KIND_MAX = 40  # the hub stores kind in 40 characters
BATCH_MAX = 500


class EventKind(enum.StrEnum):
    """Events the kiosk sends and the hub reads (data keys in brackets)."""

    CALL_STAFF = "call_staff"  # {screen}: raises an alert
    JOURNAL_INTEGRITY = "journal_integrity"  # {ok, detail}: raises or resolves an alert
    DISK_FULL = "disk_full"  # {detail}: raises an alert
    JOURNAL_ERROR = "journal_error"  # {detail}
    # {service_id?, completed, duration_s, mode_elder, mode_voice, pages_printed}
    SESSION_SUMMARY = "session_summary"
    OUT_OF_SERVICE = "out_of_service"  # {reason}
    APP_ERROR = "app_error"  # {screen}


class Event(BaseModel):
    """One event; ``at`` is ISO 8601 as the terminal's clock had it."""

    model_config = ConfigDict(extra="ignore")

    key: str = Field(min_length=1, max_length=KEY_MAX)
    kind: str = Field(min_length=1, max_length=KIND_MAX)
    at: str | None = Field(None, max_length=40)
    data: dict[str, Any] = Field(default_factory=dict)


class EventBatch(BaseModel):
    """Body of ``POST /api/v1/terminal/events`` → ``{"accepted": [key, ...]}``."""

    events: list[Event] = Field(max_length=BATCH_MAX)


class JournalEntry(Event):
    """One journal record; ``seq`` numbers the terminal's journal without gaps.
    The terminal also sends its hash chain (``prev_hash``, ``hash``), which the
    hub does not keep."""

    seq: int = Field(ge=0, le=INT32_MAX)


class JournalBatch(BaseModel):
    """Body of ``POST /api/v1/terminal/journal`` → ``{"accepted": [key, ...], "highest_seq"}``."""

    records: list[JournalEntry] = Field(max_length=BATCH_MAX)


RATING_RECORD = "rating"
"""Journal kind of a 好差评 (issue 13): it travels through the outbox like every
other record, so a rating made while the hub is down is delivered later. The
hub stores one per terminal and kiosk session (hub/services/ratings.py)."""


class RatingRecord(BaseModel):
    """``data`` of a :data:`RATING_RECORD`; the record's ``at`` is when the person rated.
    Nothing personal: the service, the level, reason codes and the kiosk
    session's opaque id."""

    model_config = ConfigDict(extra="ignore")

    service_id: str = Field(min_length=1, max_length=64)
    level: int = Field(ge=1, le=5)
    reasons: list[str] = Field(default_factory=list, max_length=12)
    session: str = Field(min_length=1, max_length=64)

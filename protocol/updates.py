"""Over-the-air updates: what the terminal's updater and the hub say to each
other (DESIGN §10). The hub's routes and the agent's updater both use these.

- ``GET  UPDATE_PATH`` → :class:`UpdateOffer`: the release this terminal
  should install (from a running rollout), its windows and the log requests
  waiting for it. Polled every ``poll_s``; an offline terminal gets what
  waits for it when it returns.
- ``POST UPDATE_STATUS_PATH`` ← :class:`UpdateStatus`: the update's progress,
  and the reason of a rollback or failure (masked log lines).
- ``POST LOG_UPLOAD_PATH.format(id)`` ← the masked log text (text/plain).
- ``GET  TUF_METADATA_PATH/<role>.json``, ``GET TUF_TARGETS_PATH/<bundle>``:
  the TUF repository (range requests for the bundle).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

UPDATE_PATH = "/api/v1/terminal/update"
UPDATE_STATUS_PATH = "/api/v1/terminal/update/status"
LOG_UPLOAD_PATH = "/api/v1/terminal/logs/{request_id}"
TUF_METADATA_PATH = "/api/v1/terminal/releases/metadata"
TUF_TARGETS_PATH = "/api/v1/terminal/releases/targets"
LOG_UPLOAD_MAX = 1024 * 1024

UpdateState = Literal[
    "pending", "downloading", "staged", "switching", "healthy", "rolled_back", "failed"
]
TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class ReleaseOffer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    rollout_id: int
    version: str = Field(max_length=40)
    target: str = Field(max_length=120)
    length: int = Field(ge=0)
    sha256: str = Field(max_length=64)


class Windows(BaseModel):
    """Daily times (``HH:MM``, the terminal's local time). The maintenance
    window may wrap midnight (22:00–02:00). Screen times unset: always on."""

    model_config = ConfigDict(extra="ignore")

    maintenance_start: str = Field("02:00", pattern=TIME)
    maintenance_end: str = Field("04:00", pattern=TIME)
    reboot_at: str | None = Field(None, pattern=TIME)
    screen_on: str | None = Field(None, pattern=TIME)
    screen_off: str | None = Field(None, pattern=TIME)


class LogRequestOffer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int
    kind: Literal["window", "debug"]
    since: datetime | None = None
    until: datetime


class UpdateOffer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    release: ReleaseOffer | None = None
    windows: Windows = Field(default_factory=Windows)
    log_requests: list[LogRequestOffer] = Field(default_factory=list)
    poll_s: int = 60


class UpdateStatus(BaseModel):
    """Body of ``POST UPDATE_STATUS_PATH``. ``reason`` names the failed check;
    ``log_tail`` holds the last log lines, masked by the terminal."""

    model_config = ConfigDict(extra="forbid")

    rollout_id: int = Field(ge=1, le=2**31 - 1)
    version: str = Field(max_length=40)
    state: UpdateState
    reason: str = Field("", max_length=400)
    log_tail: str = Field("", max_length=8000)

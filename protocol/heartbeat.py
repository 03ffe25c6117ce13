"""The heartbeat: what a terminal reports every interval (DESIGN §5).

The fleet agent builds it from the app's status; the hub's terminal API
validates the body with the same model (``POST /api/v1/terminal/heartbeat``).
Text longer than its limit is refused by the hub, so the agent cuts text to
these limits before sending.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from protocol.devices import DeviceReport

HEARTBEAT_PATH = "/api/v1/terminal/heartbeat"
INT32_MAX = 2**31 - 1  # INTEGER columns (PostgreSQL int4); larger values are refused
VERSION_MAX = 40
SCREEN_MAX = 60
SESSION_STATE_MAX = 30
DEVICES_MAX = 32


class Heartbeat(BaseModel):
    """Body of ``POST /api/v1/terminal/heartbeat``. Never personal data: the
    agent also redacts anything shaped like an ID or card number."""

    model_config = ConfigDict(extra="ignore")

    version: str = Field("", max_length=VERSION_MAX)
    uptime_s: int = Field(0, ge=0, le=INT32_MAX)
    devices: list[DeviceReport] = Field(default_factory=list, max_length=DEVICES_MAX)
    disk_free_mb: int | None = Field(None, ge=0, le=INT32_MAX)
    memory_rss_mb: float | None = Field(None, ge=0, le=1e9, allow_inf_nan=False)
    journal_backlog: int = Field(0, ge=0, le=INT32_MAX, description="records not yet forwarded")
    screen: str = Field("", max_length=SCREEN_MAX, description="the screen's name")
    session_state: str = Field("", max_length=SESSION_STATE_MAX)
    maintenance: bool = False

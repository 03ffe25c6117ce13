"""Device health after CEN/XFS 3.x, as drivers report it and the hub reads it.

Drivers report a :class:`DeviceHealth` snapshot; the kiosk turns changes into
events for its screens; the fleet agent sends each as a :class:`DeviceReport`
in the heartbeat and the hub validates it with the same model.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field


class DeviceState(enum.StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"  # present but not answering
    NODEVICE = "nodevice"  # not connected / port missing
    HWERROR = "hwerror"  # hardware fault (speech engine crashed, reader self-test failed)
    USERERROR = "usererror"  # the person must act (card upside down, cover open)
    BUSY = "busy"


# States in which the device can serve a person.
USABLE_STATES = frozenset({DeviceState.ONLINE, DeviceState.BUSY, DeviceState.USERERROR})
# States that are neither a fault nor waiting for the person (a busy printer is printing).
NORMAL_STATES = frozenset({DeviceState.ONLINE, DeviceState.BUSY})
# States that are the device's fault: journaled by the kiosk, alerted by the hub.
FAULT_STATES = frozenset({DeviceState.OFFLINE, DeviceState.NODEVICE, DeviceState.HWERROR})


class PaperState(enum.StrEnum):
    FULL = "full"
    LOW = "low"
    OUT = "out"
    JAMMED = "jammed"
    UNKNOWN = "unknown"
    NOTSUPP = "notsupp"  # the device has no paper


# Paper that needs a visit from staff (the console shows the terminal degraded).
BAD_PAPER = frozenset({PaperState.LOW, PaperState.OUT, PaperState.JAMMED})
# Paper with which nothing can be printed.
FAULT_PAPER = frozenset({PaperState.OUT, PaperState.JAMMED})

DEVICE_NAME_MAX = 40
DETAIL_MAX = 400  # characters of ``detail`` a report carries


@dataclass(frozen=True)
class DeviceHealth:
    """A snapshot of one device. ``detail`` is for operators, never for people."""

    device: str  # "idcard", "smartcard", "printer", "scanner", "speech"
    state: DeviceState
    paper: PaperState = PaperState.NOTSUPP
    detail: str = ""
    since: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def usable(self) -> bool:
        return self.state in USABLE_STATES

    def to_dict(self) -> dict[str, str]:
        """The report's wire form (see :class:`DeviceReport`), ``detail`` not cut."""
        return {
            "device": self.device,
            "state": self.state.value,
            "paper": self.paper.value,
            "detail": self.detail,
            "since": self.since.isoformat(),
        }

    def same_condition(self, other: DeviceHealth | None) -> bool:
        """True when ``other`` reports the same state (ignoring time and detail)."""
        return other is not None and (self.state, self.paper) == (other.state, other.paper)


class DeviceReport(BaseModel):
    """One device's health in a heartbeat: :meth:`DeviceHealth.to_dict` with
    ``detail`` cut to :data:`DETAIL_MAX`; ``since`` is ISO 8601 as the terminal
    wrote it (kept for operators, not parsed)."""

    model_config = ConfigDict(extra="ignore")

    device: str = Field(min_length=1, max_length=DEVICE_NAME_MAX)
    state: DeviceState
    paper: PaperState = PaperState.NOTSUPP
    detail: str = Field("", max_length=DETAIL_MAX)
    since: str | None = Field(None, max_length=40)

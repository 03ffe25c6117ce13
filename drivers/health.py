"""One health model for every device, after CEN/XFS 3.x.

Drivers report a :class:`DeviceHealth` snapshot; the kiosk turns changes into
events for the screens and the fleet agent sends snapshots to the hub.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime


class DeviceState(enum.StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"  # present but not answering
    NODEVICE = "nodevice"  # not connected / port missing
    HWERROR = "hwerror"  # hardware fault (speech engine crashed, reader self-test failed)
    USERERROR = "usererror"  # the person must act (card upside down, cover open)
    BUSY = "busy"


# States in which the device can serve a person.
USABLE_STATES = frozenset({DeviceState.ONLINE, DeviceState.BUSY, DeviceState.USERERROR})


class PaperState(enum.StrEnum):
    FULL = "full"
    LOW = "low"
    OUT = "out"
    JAMMED = "jammed"
    UNKNOWN = "unknown"
    NOTSUPP = "notsupp"  # the device has no paper


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

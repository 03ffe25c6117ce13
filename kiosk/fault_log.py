"""Device faults in the journal (issue 7: every fault the person meets is recorded).

A ``device_fault`` record names the device and the error class or state,
never the message: a message may quote what a card or a scanner sent.
Health changes are journaled once per new faulty condition, not on every
report of the same one.
"""

from __future__ import annotations

import logging

from drivers.errors import DeviceError
from kiosk.ports import Devices, Recorder
from protocol.devices import FAULT_PAPER, FAULT_STATES

log = logging.getLogger(__name__)

DEVICES = frozenset({"idcard", "smartcard", "printer", "scanner", "speech"})
ERROR_DEVICE = {"PaperOut": "printer", "InvalidCode": "scanner"}  # drivers.errors classes


def device_of(exc: DeviceError) -> str:
    """Which device raised ``exc``: its driver package (drivers/<device>/…)."""
    parts = type(exc).__module__.split(".")
    if len(parts) >= 2 and parts[0] == "drivers" and parts[1] in DEVICES:
        return parts[1]
    return ERROR_DEVICE.get(type(exc).__name__, "device")


class FaultLog:
    def __init__(self, recorder: Recorder, devices: Devices) -> None:
        self.recorder = recorder
        self.devices = devices
        self._seen: dict[str, tuple[str, str]] = {}

    def error(self, exc: DeviceError, device: str | None = None) -> None:
        """A driver error reached the person (or a print failed)."""
        self.record(device or device_of(exc), type(exc).__name__)

    def record(self, device: str, error: str, **extra: str) -> None:
        try:
            self.recorder.record("device_fault", {"device": device, "error": error, **extra})
        except DeviceError:
            log.warning("device fault on %s not journaled: journal unavailable", device)

    def health_changed(self) -> None:
        """Journal each device that has newly entered a faulty condition."""
        for health in self.devices.health_snapshot():
            device, state, paper = health["device"], health["state"], health.get("paper", "")
            condition = (state, paper)
            seen = self._seen.get(device)
            self._seen[device] = condition
            faulty = state in FAULT_STATES or paper in FAULT_PAPER
            if faulty and condition != seen and health.get("detail") != "not started":
                self.record(device, state, paper=paper)

"""Device faults are journaled with the device and error class, never the message,
and a faulty health condition once, not on every report."""

from __future__ import annotations

from typing import Any

from drivers.errors import PaperOut
from drivers.idcard import CardReadFailed
from kiosk.fault_log import FaultLog, device_of


class Devices:
    def __init__(self) -> None:
        self.snapshot: list[dict[str, str]] = []

    def health_snapshot(self) -> list[dict[str, str]]:
        return self.snapshot


class Records:
    def __init__(self) -> None:
        self.rows: list[tuple[str, dict[str, Any]]] = []

    def record(self, kind: str, data: dict[str, Any]) -> None:
        self.rows.append((kind, data))


def test_device_of_errors() -> None:
    assert device_of(CardReadFailed("sw3 41")) == "idcard"
    assert device_of(PaperOut("out")) == "printer"


def test_error_records_class_not_message() -> None:
    records = Records()
    log = FaultLog(records, Devices())  # type: ignore[arg-type]
    log.error(CardReadFailed("card said 410225194103152422"))
    assert records.rows == [("device_fault", {"device": "idcard", "error": "CardReadFailed"})]


def test_health_fault_journaled_once_per_condition() -> None:
    records, devices = Records(), Devices()
    log = FaultLog(records, devices)  # type: ignore[arg-type]
    devices.snapshot = [{"device": "printer", "state": "online", "paper": "out"}]
    log.health_changed()
    log.health_changed()
    devices.snapshot = [{"device": "printer", "state": "online", "paper": "full"}]
    log.health_changed()
    devices.snapshot = [{"device": "printer", "state": "offline", "paper": "unknown"}]
    log.health_changed()
    assert [d["error"] for _, d in records.rows] == ["online", "offline"]
    assert records.rows[0][1]["paper"] == "out"

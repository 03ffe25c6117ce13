"""The heartbeat body: the host's status plus disk and memory, never personal data."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psutil

from kiosk.journal import find_personal_data
from protocol.devices import DETAIL_MAX, DeviceHealth, DeviceReport
from protocol.heartbeat import (
    DEVICES_MAX,
    SCREEN_MAX,
    SESSION_STATE_MAX,
    VERSION_MAX,
    Heartbeat,
)


def redact(value: Any) -> Any:
    """Replace any string that looks like personal data (defence in depth)."""
    if isinstance(value, str):
        return "[redacted]" if find_personal_data(value) else value
    if isinstance(value, Mapping):
        return {str(k): redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def _device_report(device: DeviceHealth | Mapping[str, Any]) -> DeviceReport:
    fields = device.to_dict() if isinstance(device, DeviceHealth) else dict(device)
    fields["detail"] = str(fields.get("detail", ""))[:DETAIL_MAX]
    return DeviceReport.model_validate(fields)


def heartbeat_body(
    snapshot: Mapping[str, Any], journal_backlog: int | None, disk_path: Path
) -> dict[str, Any]:
    """The heartbeat as sent, from ``AgentHost.status_snapshot()``: a
    :class:`protocol.heartbeat.Heartbeat`, the model the hub validates it with.

    Only the model's fields are sent (extra snapshot keys are dropped), text is
    cut to the model's limits, and any string shaped like an ID or card number
    is replaced by ``[redacted]``. ``journal_backlog`` overrides the snapshot's.
    Raises ``ValueError`` (pydantic's ``ValidationError``) for a snapshot the
    hub would refuse, e.g. an unknown device state.
    """
    if journal_backlog is None:
        journal_backlog = int(snapshot.get("journal_backlog", 0))
    beat = Heartbeat(
        version=str(snapshot.get("version", ""))[:VERSION_MAX],
        uptime_s=int(snapshot.get("uptime_s", 0)),
        devices=[_device_report(d) for d in list(snapshot.get("devices", []))[:DEVICES_MAX]],
        disk_free_mb=shutil.disk_usage(disk_path).free // (1024 * 1024),
        memory_rss_mb=round(psutil.Process().memory_info().rss / (1024 * 1024), 1),
        journal_backlog=journal_backlog,
        screen=str(snapshot.get("screen", ""))[:SCREEN_MAX],
        session_state=str(snapshot.get("session_state", ""))[:SESSION_STATE_MAX],
        maintenance=bool(snapshot.get("maintenance", False)),
    )
    redacted: dict[str, Any] = redact(beat.model_dump(mode="json"))
    return redacted

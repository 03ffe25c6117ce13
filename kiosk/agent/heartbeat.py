"""The heartbeat body: the host's status plus disk and memory, never personal data."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psutil

from kiosk.journal import find_personal_data

HEARTBEAT_PATH = "/api/v1/terminal/heartbeat"
# The hub's limits on a heartbeat (hub.fleet.health.HeartbeatIn): longer values
# would make every heartbeat fail validation.
_MAX_DEVICES = 32
_MAX_DETAIL = 400


def redact(value: Any) -> Any:
    """Replace any string that looks like personal data (defence in depth)."""
    if isinstance(value, str):
        return "[redacted]" if find_personal_data(value) else value
    if isinstance(value, Mapping):
        return {str(k): redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def heartbeat_body(
    snapshot: Mapping[str, Any], journal_backlog: int | None, disk_path: Path
) -> dict[str, Any]:
    """The heartbeat as sent, from ``AgentHost.status_snapshot()``.

    Only the contract's keys are sent (extra snapshot keys are dropped), text is
    cut to the hub's limits, and any string shaped like an ID or card number is
    replaced by ``[redacted]``. ``journal_backlog`` overrides the snapshot's.
    """
    devices = [
        d.to_dict() if hasattr(d, "to_dict") else dict(d) for d in snapshot.get("devices", [])
    ][:_MAX_DEVICES]
    for device in devices:
        device["detail"] = str(device.get("detail", ""))[:_MAX_DETAIL]
    if journal_backlog is None:
        journal_backlog = int(snapshot.get("journal_backlog", 0))
    body = {
        "version": str(snapshot.get("version", ""))[:40],
        "uptime_s": int(snapshot.get("uptime_s", 0)),
        "devices": devices,
        "disk_free_mb": shutil.disk_usage(disk_path).free // (1024 * 1024),
        "memory_rss_mb": round(psutil.Process().memory_info().rss / (1024 * 1024), 1),
        "journal_backlog": journal_backlog,
        "screen": str(snapshot.get("screen", ""))[:60],
        "session_state": str(snapshot.get("session_state", ""))[:30],
        "maintenance": bool(snapshot.get("maintenance", False)),
    }
    redacted: dict[str, Any] = redact(body)
    return redacted

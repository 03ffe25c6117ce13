"""Terminal health: heartbeat payload, condition fingerprint, alert
conditions and the status shown in the console.

Status (console, DESIGN §5): ``offline`` after 3 missed heartbeats, else
``maintenance`` when the terminal is in maintenance mode, else ``degraded``
when a device is not usable-and-normal (anything but ONLINE or BUSY: a busy
printer is printing, not failing) or paper is LOW/OUT/JAMMED, else ``online``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from protocol.devices import BAD_PAPER, FAULT_STATES, NORMAL_STATES, DeviceState, PaperState

# The heartbeat body as the hub receives it: the shared model, named like the
# hub's other inbound bodies (EnrolIn, EventsIn).
from protocol.heartbeat import Heartbeat as HeartbeatIn

OFFLINE_AFTER_MISSED = 3  # heartbeats
JOURNAL_BACKLOG_ALERT = 100  # records not yet forwarded: the outbox is not draining

# Worst first: the overview shows the worst paper state of a terminal.
_PAPER_ORDER = ("out", "jammed", "low", "unknown", "full")

STATUS_LABELS: dict[str, str] = {
    "online": "在线",
    "degraded": "降级",
    "offline": "离线",
    "maintenance": "维护中",
    "revoked": "已注销",
}
PAPER_LABELS: dict[str, str] = {
    PaperState.FULL: "充足",
    PaperState.LOW: "将尽",
    PaperState.OUT: "缺纸",
    PaperState.JAMMED: "卡纸",
    PaperState.UNKNOWN: "未知",
    PaperState.NOTSUPP: "—",
}
DEVICE_STATE_LABELS: dict[str, str] = {
    DeviceState.ONLINE: "正常",
    DeviceState.OFFLINE: "无响应",
    DeviceState.NODEVICE: "未连接",
    DeviceState.HWERROR: "硬件故障",
    DeviceState.USERERROR: "需用户操作",
    DeviceState.BUSY: "忙",
}


def condition_signature(hb: HeartbeatIn) -> str:
    """Fingerprint of everything that can change alerts or health history."""
    parts = sorted(f"{d.device}={d.state.value}/{d.paper.value}" for d in hb.devices)
    backlog = int(hb.journal_backlog >= JOURNAL_BACKLOG_ALERT)
    raw = ";".join(parts) + f"|m={int(hb.maintenance)}|b={backlog}"
    return hashlib.sha1(raw.encode("utf-8"), usedforsecurity=False).hexdigest()


def devices_json(hb: HeartbeatIn) -> str:
    return json.dumps(
        [
            {
                "device": d.device,
                "state": d.state.value,
                "paper": d.paper.value,
                "detail": d.detail,
                "since": d.since,
            }
            for d in hb.devices
        ],
        ensure_ascii=False,
    )


def worst_paper(devices: list[dict[str, Any]]) -> str:
    papers = {str(d.get("paper", "notsupp")) for d in devices}
    for paper in _PAPER_ORDER:
        if paper in papers:
            return paper
    return "notsupp"


def wanted_alerts(hb: HeartbeatIn) -> dict[tuple[str, str], str]:
    """The heartbeat-driven alerts that should be open: (kind, subject) → detail."""
    wanted: dict[tuple[str, str], str] = {}
    for d in hb.devices:
        label = DEVICE_STATE_LABELS.get(d.state.value, d.state.value)
        if d.state in FAULT_STATES:
            wanted[("device_error", d.device)] = f"{label} {d.detail}".strip()
        if d.paper is PaperState.OUT:
            wanted[("paper_out", d.device)] = "缺纸"
        elif d.paper is PaperState.LOW:
            wanted[("paper_low", d.device)] = "纸将尽"
        elif d.paper is PaperState.JAMMED:
            wanted.setdefault(("device_error", d.device), "卡纸")
    if hb.journal_backlog >= JOURNAL_BACKLOG_ALERT:
        wanted[("journal_backlog", "")] = f"{hb.journal_backlog} 条流水未上传"
    return wanted


def changed_devices(previous: list[dict[str, Any]], current: HeartbeatIn) -> list[dict[str, str]]:
    """Devices whose (state, paper) differs from ``previous``; a device no
    longer reported is recorded as ``nodevice``."""
    before = {str(d.get("device")): (d.get("state"), d.get("paper")) for d in previous}
    changes: list[dict[str, str]] = []
    seen: set[str] = set()
    for d in current.devices:
        seen.add(d.device)
        if before.get(d.device) != (d.state.value, d.paper.value):
            changes.append(
                {
                    "device": d.device,
                    "state": d.state.value,
                    "paper": d.paper.value,
                    "detail": d.detail,
                }
            )
    for name in before.keys() - seen:
        changes.append(
            {"device": name, "state": "nodevice", "paper": "notsupp", "detail": "不再上报"}
        )
    return changes


def terminal_status(
    *,
    last_seen_at: datetime | None,
    maintenance: bool,
    devices: list[dict[str, Any]],
    revoked: bool,
    now: datetime,
    heartbeat_interval_s: int,
) -> str:
    """One of online, degraded, offline, maintenance, revoked (see module doc)."""
    if revoked:
        return "revoked"
    limit = timedelta(seconds=OFFLINE_AFTER_MISSED * heartbeat_interval_s)
    if last_seen_at is None or now - last_seen_at > limit:
        return "offline"
    if maintenance:
        return "maintenance"
    for d in devices:
        if d.get("state") not in NORMAL_STATES or d.get("paper") in BAD_PAPER:
            return "degraded"
    return "online"

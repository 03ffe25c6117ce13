"""The shared vocabulary (protocol/): the rules both the hub and the kiosk apply.

The end-to-end proof that console, hub and kiosk agree is
tests/fleet_e2e/test_command_kinds.py; these pin the rules themselves,
with the values written out by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from drivers.speech.player import VOLUME_GAINS
from hub.fleet.commands import queue_command
from kiosk.agent.heartbeat import heartbeat_body
from kiosk.voice import VOLUME_STEPS
from protocol.commands import (
    COMMANDS,
    DEFAULT_MAINTENANCE_MESSAGE,
    VOLUME_LEVELS,
    AnnouncementArgs,
    CommandArgsError,
    CommandKind,
    MaintenanceArgs,
    NoArgs,
    UnknownCommandKind,
    VolumeArgs,
    parse_command_args,
    wire_args,
)
from protocol.devices import DeviceHealth, DeviceState, PaperState
from protocol.heartbeat import Heartbeat
from protocol.services import (
    IDENTIFY,
    RECORD_QUERIES,
    TERMINAL_FUNCTION,
    QueryKind,
    TerminalService,
    query_path,
    query_service,
)


def refusal(kind: str, raw: object) -> tuple[type[CommandArgsError], str]:
    """(error type, operator-facing message) of arguments that must be refused."""
    with pytest.raises(CommandArgsError) as refused:
        parse_command_args(kind, raw)
    return type(refused.value), str(refused.value)


def test_every_kind_has_a_label_and_a_schema() -> None:
    assert set(COMMANDS) == set(CommandKind)
    assert [spec.kind for spec in COMMANDS.values()] == list(CommandKind)
    assert all(spec.label and not spec.label.isascii() for spec in COMMANDS.values())


def test_five_volume_levels_everywhere() -> None:
    # The level operators set is the level people hear ("音量1" … "音量5"), one of the
    # speech driver's gains, and a step of the kiosk's voice guide (0-based there).
    assert VOLUME_LEVELS == 5 == len(VOLUME_GAINS) == VOLUME_STEPS
    (step,) = COMMANDS[CommandKind.SET_VOLUME].fields
    assert (step.minimum, step.maximum, step.required) == (1, 5, True)


@pytest.mark.parametrize("raw", [1, 5, "1", "5", " 3 ", 3.0])
def test_set_volume_accepts_levels_one_to_five(raw: object) -> None:
    args = parse_command_args("set_volume", {"step": raw})
    assert isinstance(args, VolumeArgs)
    assert wire_args(args) == {"step": int(float(str(raw)))}


@pytest.mark.parametrize("raw", [0, 6, -1, 10, True, "loud", 2.5, "", None])
def test_set_volume_refuses_anything_else_with_one_message(raw: object) -> None:
    with pytest.raises(CommandArgsError) as refused:
        parse_command_args("set_volume", {"step": raw})
    assert str(refused.value) == "音量须为 1 到 5 之间的整数"
    assert refused.value.field == "step"


def test_maintenance_message_blank_is_the_default_and_is_at_most_200() -> None:
    for blank in ({}, {"message": ""}, {"message": "   "}, None):
        args = parse_command_args("maintenance_on", blank)
        assert isinstance(args, MaintenanceArgs)
        assert args.message == DEFAULT_MAINTENANCE_MESSAGE == "终端维护中，请稍后再来或联系工作人员"
    assert parse_command_args("maintenance_on", {"message": " 维" * 100}) == MaintenanceArgs(
        message=("维 " * 100).strip()
    )
    assert refusal("maintenance_on", {"message": "维" * 201}) == (
        CommandArgsError,
        "维护提示不能超过 200 字",
    )


def test_announcement_text_and_until() -> None:
    args = parse_command_args("announcement", {"text": " 周六停电检修 ", "until": ""})
    assert isinstance(args, AnnouncementArgs)
    assert wire_args(args) == {"text": "周六停电检修"}  # no until: left out
    local = parse_command_args("announcement", {"text": "公", "until": "2026-12-01T18:00"})
    assert wire_args(local) == {"text": "公", "until": "2026-12-01T18:00:00"}
    zoned = parse_command_args("announcement", {"text": "公", "until": "2026-12-01T00:00:00+08:00"})
    assert wire_args(zoned)["until"] == "2026-12-01T00:00:00+08:00"
    assert refusal("announcement", {"text": " "}) == (CommandArgsError, "公告须为 1–500 字")
    assert refusal("announcement", {"text": "公" * 501}) == (CommandArgsError, "公告须为 1–500 字")
    assert refusal("announcement", {"text": "公", "until": "下周六"}) == (
        CommandArgsError,
        "截止时间格式应为 YYYY-MM-DDTHH:MM",
    )


def test_unknown_kinds_and_bad_shapes_are_refused() -> None:
    assert refusal("format_disk", {}) == (UnknownCommandKind, "未知指令：format_disk")
    with pytest.raises(CommandArgsError, match="JSON 对象"):
        parse_command_args("restart", ["not", "an", "object"])
    # Keys a newer hub may add are ignored, not refused.
    assert parse_command_args("restart", {"force": True}) == NoArgs()
    assert parse_command_args("set_volume", {"step": 2, "ramp_s": 3}) == VolumeArgs(step=2)


def test_the_hub_queues_only_the_kinds_own_model() -> None:
    # Checked before the database is touched: nothing unchecked reaches the queue.
    with pytest.raises(TypeError, match="set_volume takes VolumeArgs, not NoArgs"):
        queue_command(None, 1, CommandKind.SET_VOLUME, NoArgs(), "admin")  # type: ignore[arg-type]


def test_the_heartbeat_the_agent_builds_is_one_the_hub_accepts(tmp_path: Path) -> None:
    snapshot: dict[str, Any] = {
        "version": "v" * 100,
        "uptime_s": 12,
        "devices": [
            DeviceHealth("printer", DeviceState.ONLINE, PaperState.LOW, detail="d" * 1000),
            *({"device": f"extra{n}", "state": "online"} for n in range(40)),
        ],
        "screen": "s" * 100,
        "session_state": "a" * 100,
        "maintenance": True,
    }
    body = heartbeat_body(snapshot, 3, tmp_path)
    received = Heartbeat.model_validate_json(json.dumps(body))  # as the hub parses it
    assert len(received.devices) == 32 and len(received.devices[0].detail) == 400
    assert received.devices[0].paper is PaperState.LOW
    assert (len(received.version), len(received.screen), len(received.session_state)) == (
        40,
        60,
        30,
    )
    assert received.journal_backlog == 3 and received.maintenance is True


def test_an_unknown_device_state_is_refused_by_the_agent_as_by_the_hub(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="state"):
        heartbeat_body({"devices": [{"device": "printer", "state": "melted"}]}, 0, tmp_path)


def test_query_paths_and_service_ids() -> None:
    assert [query_path(k) for k in RECORD_QUERIES] == [
        "/query/contributions",
        "/query/pension",
        "/query/medical",
        "/query/subsidies",
        "/query/applications",
    ]
    assert query_path(IDENTIFY) == "/query/identify"
    with pytest.raises(ValueError, match="insurance_certificate"):
        query_path(QueryKind.INSURANCE_CERTIFICATE)  # issued at /certificates/insurance
    assert query_service(QueryKind.PENSION) is TerminalService.QUERY_PENSION
    # Every id the kiosk rates under is one the hub accepts without a catalogue entry.
    assert all(TERMINAL_FUNCTION.fullmatch(service) for service in TerminalService)
    assert not TERMINAL_FUNCTION.fullmatch("unknown")

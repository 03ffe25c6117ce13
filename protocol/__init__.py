"""The vocabulary the terminal and the hub share (DESIGN §1, "a leaf").

Imports nothing of ours, only the standard library and pydantic, so every
layer may import it: drivers (the i18n marker, device states), the kiosk
and its fleet agent, and the hub (which never imports the terminal).

- :mod:`protocol.i18n`: ``N_``, the gettext marker.
- :mod:`protocol.devices`: device and paper states, the health snapshot and its report.
- :mod:`protocol.heartbeat`: what a terminal reports every interval.
- :mod:`protocol.events`: events and journal records forwarded to the hub.
- :mod:`protocol.commands`: remote command kinds, their argument schemas and the one parser.
- :mod:`protocol.services`: query kinds and the service ids both sides name.
"""

from protocol.commands import (
    COMMANDS,
    AnnouncementArgs,
    ArgumentField,
    CommandAck,
    CommandArgs,
    CommandArgsError,
    CommandKind,
    CommandSpec,
    MaintenanceArgs,
    NoArgs,
    UnknownCommandKind,
    VolumeArgs,
    command_kind,
    parse_args,
    parse_command_args,
    wire_args,
)
from protocol.devices import (
    FAULT_STATES,
    USABLE_STATES,
    DeviceHealth,
    DeviceReport,
    DeviceState,
    PaperState,
)
from protocol.events import Event, EventBatch, EventKind, JournalBatch, JournalEntry
from protocol.heartbeat import Heartbeat
from protocol.i18n import N_
from protocol.services import GENERAL_SERVICE, QueryKind, TerminalService

__all__ = [
    "COMMANDS",
    "FAULT_STATES",
    "GENERAL_SERVICE",
    "N_",
    "USABLE_STATES",
    "AnnouncementArgs",
    "ArgumentField",
    "CommandAck",
    "CommandArgs",
    "CommandArgsError",
    "CommandKind",
    "CommandSpec",
    "DeviceHealth",
    "DeviceReport",
    "DeviceState",
    "Event",
    "EventBatch",
    "EventKind",
    "Heartbeat",
    "JournalBatch",
    "JournalEntry",
    "MaintenanceArgs",
    "NoArgs",
    "PaperState",
    "QueryKind",
    "TerminalService",
    "UnknownCommandKind",
    "VolumeArgs",
    "command_kind",
    "parse_args",
    "parse_command_args",
    "wire_args",
]

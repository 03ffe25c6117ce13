"""Remote commands: the kinds, their arguments and the one rule for each
(DESIGN §5 "remote commands").

The console queues a command only with arguments :func:`parse_command_args`
accepted, and the kiosk parses what it receives with the same function
before acting on it (a terminal does not trust the wire blindly, but the
rule is written once). A refusal is a :class:`CommandArgsError` whose
message is Chinese for the operator and says what is accepted.

On the wire a command is ``{"id", "kind", "args"}`` with ``args`` as
:func:`wire_args` writes them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from types import MappingProxyType
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from protocol.i18n import N_

COMMANDS_PATH = "/api/v1/terminal/commands"  # GET long-poll; POST …/{id}/ack
SCREENSHOT_PATH = "/api/v1/terminal/screenshot"


class CommandKind(enum.StrEnum):
    """What an operator can order a terminal to do, in the console's order."""

    RESTART = "restart"
    MAINTENANCE_ON = "maintenance_on"
    MAINTENANCE_OFF = "maintenance_off"
    SCREENSHOT = "screenshot"
    TEST_PRINT = "test_print"
    RELOAD_CONFIG = "reload_config"
    RELOAD_CATALOGUE = "reload_catalogue"
    ANNOUNCEMENT = "announcement"
    SET_VOLUME = "set_volume"


VOLUME_LEVELS = 5
"""Volume levels 1…5, numbered as the kiosk says them to people ("音量3");
at least four steps (specs/accessibility.md §5)."""
MAINTENANCE_MESSAGE_MAX = 200
ANNOUNCEMENT_TEXT_MAX = 500
DEFAULT_MAINTENANCE_MESSAGE = N_("终端维护中，请稍后再来或联系工作人员")
ACK_RESULT_MAX = 4000  # accepted in an ack
ACK_RESULT_KEPT = 1000  # characters of the result the terminal sends and the hub keeps


class CommandArgsError(ValueError):
    """The kind is unknown or its arguments are invalid. ``str(error)`` is
    operator-facing Chinese; ``field`` names the argument at fault, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownCommandKind(CommandArgsError):
    """No such command kind (a newer hub, or a typing error)."""


class CommandArgs(BaseModel):
    """Base of every kind's arguments. Unknown keys are ignored (a newer hub
    may send more); text is stripped of surrounding blanks."""

    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)


ArgsT = TypeVar("ArgsT", bound=CommandArgs)


class NoArgs(CommandArgs):
    """A command without arguments."""


class MaintenanceArgs(CommandArgs):
    """``maintenance_on``: the terminal stops serving and shows ``message``."""

    message: str = Field(
        DEFAULT_MAINTENANCE_MESSAGE,
        max_length=MAINTENANCE_MESSAGE_MAX,
        title="维护提示",
        description="shown to people on the out-of-service screen; blank: the default",
    )

    @field_validator("message", mode="after")
    @classmethod
    def _blank_is_default(cls, value: str) -> str:
        return value or DEFAULT_MAINTENANCE_MESSAGE


class AnnouncementArgs(CommandArgs):
    """``announcement``: ``text`` shown on the attract screen, until ``until``
    (the county's local time when naive) if given."""

    text: str = Field(min_length=1, max_length=ANNOUNCEMENT_TEXT_MAX, title="公告")
    until: datetime | None = Field(None, title="截止时间")

    @field_validator("until", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


class VolumeArgs(CommandArgs):
    """``set_volume``: the terminal's default volume level, 1…:data:`VOLUME_LEVELS`
    as spoken to people; it applies now when nobody is being served, else
    from the next session."""

    step: int = Field(ge=1, le=VOLUME_LEVELS, title="音量")

    @field_validator("step", mode="before")
    @classmethod
    def _not_a_bool(cls, value: object) -> object:
        # JSON true is not a level (pydantic would read it as 1).
        if isinstance(value, bool):
            raise ValueError("a boolean is not a volume level")
        return value


@dataclass(frozen=True)
class ArgumentField:
    """One argument as the console's form shows it; read from the schema."""

    name: str
    label: str
    type: Literal["text", "integer", "datetime"]
    required: bool
    default: str | int | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None

    @property
    def rule(self) -> str:
        """What is accepted, in operator-facing Chinese."""
        if self.type == "integer":
            return f"{self.label}须为 {self.minimum} 到 {self.maximum} 之间的整数"
        if self.type == "datetime":
            return f"{self.label}格式应为 YYYY-MM-DDTHH:MM"
        if self.required:
            return f"{self.label}须为 1–{self.max_length} 字"
        return f"{self.label}不能超过 {self.max_length} 字"


def _field_type(schema: Mapping[str, Any]) -> Literal["text", "integer", "datetime"]:
    for variant in (schema, *schema.get("anyOf", ())):
        if variant.get("type") == "integer":
            return "integer"
        if variant.get("format") == "date-time":
            return "datetime"
    return "text"


@cache
def _fields_of(model: type[CommandArgs]) -> tuple[ArgumentField, ...]:
    # Read from the JSON schema pydantic publishes, so the ranges the console
    # offers are the ones the model enforces.
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    return tuple(
        ArgumentField(
            name=name,
            label=str(prop.get("title", name)),
            type=_field_type(prop),
            required=name in required,
            default=prop.get("default"),
            minimum=prop.get("minimum"),
            maximum=prop.get("maximum"),
            max_length=prop.get("maxLength"),
        )
        for name, prop in schema.get("properties", {}).items()
    )


@dataclass(frozen=True)
class CommandSpec:
    """A kind, its label for operators and the model of its arguments."""

    kind: CommandKind
    label: str
    args: type[CommandArgs]

    @property
    def fields(self) -> tuple[ArgumentField, ...]:
        """The arguments in declaration order (the console's form order)."""
        return _fields_of(self.args)


COMMANDS: Mapping[CommandKind, CommandSpec] = MappingProxyType(
    {
        spec.kind: spec
        for spec in (
            CommandSpec(CommandKind.RESTART, "重启终端", NoArgs),
            CommandSpec(CommandKind.MAINTENANCE_ON, "进入维护模式", MaintenanceArgs),
            CommandSpec(CommandKind.MAINTENANCE_OFF, "退出维护模式", NoArgs),
            CommandSpec(CommandKind.SCREENSHOT, "截屏", NoArgs),
            CommandSpec(CommandKind.TEST_PRINT, "测试打印", NoArgs),
            CommandSpec(CommandKind.RELOAD_CONFIG, "重新加载配置", NoArgs),
            CommandSpec(CommandKind.RELOAD_CATALOGUE, "重新加载事项目录", NoArgs),
            CommandSpec(CommandKind.ANNOUNCEMENT, "发布公告", AnnouncementArgs),
            CommandSpec(CommandKind.SET_VOLUME, "设置默认音量", VolumeArgs),
        )
    }
)


def command_kind(kind: str) -> CommandKind:
    """``kind`` as a :class:`CommandKind`; raises :class:`UnknownCommandKind`."""
    try:
        return CommandKind(kind)
    except ValueError:
        raise UnknownCommandKind(f"未知指令：{kind[:40]}", field="kind") from None


def parse_command_args(kind: str, raw: object) -> CommandArgs:
    """The arguments of a ``kind`` command, checked by its schema.

    ``raw`` is a mapping (form fields as text, or JSON values) or None for no
    arguments. Returns an instance of ``COMMANDS[kind].args``. Raises
    :class:`CommandArgsError` (:class:`UnknownCommandKind` for an unknown kind)
    with an operator-facing message naming what is accepted.
    """
    return parse_args(COMMANDS[command_kind(kind)].args, raw)


def parse_args(model: type[ArgsT], raw: object) -> ArgsT:
    """``raw`` checked by one kind's ``model``, for callers that know the kind
    (e.g. the console's announcement page); errors as :func:`parse_command_args`."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise CommandArgsError("指令参数须为 JSON 对象")
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        loc = exc.errors()[0]["loc"]
        name = str(loc[0]) if loc else ""
        field = next((f for f in _fields_of(model) if f.name == name), None)
        if field is None:  # a rule of the whole model; none exists today
            raise CommandArgsError("指令参数无效", field=name or None) from None
        raise CommandArgsError(field.rule, field=field.name) from None


def wire_args(args: CommandArgs) -> dict[str, Any]:
    """``args`` as JSON values for the wire and the command table (absent values left out)."""
    return args.model_dump(mode="json", exclude_none=True)


class CommandAck(BaseModel):
    """Body of ``POST /api/v1/terminal/commands/{id}/ack``: the outcome, with a
    short text for the operator (the terminal sends at most :data:`ACK_RESULT_KEPT`)."""

    ok: bool
    result: str = Field("", max_length=ACK_RESULT_MAX)

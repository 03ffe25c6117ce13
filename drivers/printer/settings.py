"""The ``[devices.printer]`` table: the one printer settings model.

The kiosk's configuration embeds :class:`PrinterSettings` as
``[devices.printer]`` (so every key here can be set in kiosk.toml and is
reported with its key path); the driver validates a plain table with
:meth:`PrinterSettings.from_dict`. What the printer can do comes from its
profile (:mod:`drivers.printer.profiles`); ``encoding``, ``qr`` and ``cut``
override the profile for a printer that differs from it.
"""

from __future__ import annotations

import difflib
from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .profiles import Cut, Encoding, PrinterProfile, QrMode, load_profiles

KEY_PATH = "devices.printer"
DEFAULT_PROFILE = "generic-80mm"
# Which keys belong to which connection type: a key of another type would be
# ignored, so it is an error instead (nothing is dropped silently).
CONNECTION_KEYS: dict[str, frozenset[str]] = {
    "network": frozenset({"host", "port"}),
    "sim": frozenset({"host", "port"}),
    "serial": frozenset({"devfile", "baudrate"}),
    "usb": frozenset({"id_vendor", "id_product"}),
}
_CONNECTION_KEYS = frozenset().union(*CONNECTION_KEYS.values())
# A connection type cannot work without these keys (no default is right).
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "network": ("host",),
    "serial": ("devfile",),
    "usb": ("id_vendor", "id_product"),
}


class PrinterSettings(BaseModel):
    """Receipt printer configuration.

    ``type``: network | serial | usb | sim (sim = the VirtualPrinter, reached
    over TCP like a network printer; the kiosk starts one itself).
    ``profile``: a name from profiles.toml (paper width, dots, columns,
    encoding, QR mode, cut). ``encoding``/``qr``/``cut``: override the
    profile. ``timeout``: seconds to connect/send; ``status_timeout``:
    seconds to wait for a DLE EOT reply before calling the printer offline.
    ``host``/``port`` (network, sim), ``devfile``/``baudrate`` (serial),
    ``id_vendor``/``id_product`` (usb; integers or hex strings like "0416").
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    # Keys of earlier versions, and what took their place (named in the error).
    RENAMED_KEYS: ClassVar[dict[str, str]] = {
        "width_mm": 'profile ("generic-80mm" or "generic-58mm")',
    }

    type: Literal["network", "serial", "usb", "sim"] = "sim"
    profile: str = DEFAULT_PROFILE
    encoding: Encoding | None = None
    qr: QrMode | None = None
    cut: Cut | None = None
    # 5 s: a person is waiting at the screen; a LAN or USB printer that has not
    # connected or taken the job by then is not going to.
    timeout: float = Field(5.0, gt=0, le=60)
    status_timeout: float = Field(1.0, gt=0, le=30)
    host: str = "127.0.0.1"
    port: int = Field(9100, ge=1, le=65535)
    devfile: str = "/dev/ttyUSB0"
    baudrate: int = Field(9600, gt=0)
    id_vendor: int = Field(0, ge=0, le=0xFFFF)
    id_product: int = Field(0, ge=0, le=0xFFFF)

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, name: str) -> str:
        known = load_profiles()
        if name not in known:
            raise ValueError(f"unknown profile {name!r}; known: {', '.join(sorted(known))}")
        return name

    @field_validator("id_vendor", "id_product", mode="before")
    @classmethod
    def _hex_usb_id(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return int(value, 16)
            except ValueError:
                raise ValueError(f"not a hex USB id: {value!r}") from None
        return value

    @model_validator(mode="after")
    def _keys_fit_the_type(self) -> PrinterSettings:
        given = self.model_fields_set
        foreign = sorted((given & _CONNECTION_KEYS) - CONNECTION_KEYS[self.type])
        problems = [f"{key} does not apply to type {self.type!r}" for key in foreign]
        problems += [
            f"type {self.type!r} needs {key}"
            for key in REQUIRED_KEYS.get(self.type, ())
            if key not in given
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def capabilities(self) -> PrinterProfile:
        """The profile with this printer's overrides applied."""
        overrides = {
            key: value
            for key in ("encoding", "qr", "cut")
            if (value := getattr(self, key)) is not None
        }
        return load_profiles()[self.profile].model_copy(update=overrides)

    @classmethod
    def from_dict(cls, table: dict[str, Any]) -> PrinterSettings:
        """Build from a ``[devices.printer]`` table; ValueError lists every problem
        with its key path (and a "did you mean" for a misspelt key)."""
        try:
            return cls.model_validate(table)
        except ValidationError as exc:
            problems = [_describe(error) for error in exc.errors()]
            raise ValueError("invalid printer settings:\n  " + "\n  ".join(problems)) from exc


def _describe(error: Any) -> str:
    path = ".".join([KEY_PATH, *map(str, error["loc"])])
    if error["type"] == "extra_forbidden":
        key = str(error["loc"][-1])
        if key in PrinterSettings.RENAMED_KEYS:
            return f"{path}: unknown setting (replaced by {PrinterSettings.RENAMED_KEYS[key]})"
        hint = difflib.get_close_matches(key, PrinterSettings.model_fields, n=1)
        return f"{path}: unknown setting" + (f" (did you mean {hint[0]!r}?)" if hint else "")
    return f"{path}: {error['msg']}"

"""The terminal's configuration (``config/kiosk.toml``), validated once at start.

Every problem is reported with its key path in one message (with a "did you
mean" hint for misspelt keys); the caller exits with status 2. Nothing falls
back silently: a missing optional section takes its documented default, a
wrong value is an error.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from drivers.printer.a4_settings import DocumentPrinterSettings
from drivers.printer.settings import PrinterSettings
from kiosk.hub_client.policy import validate_hub


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` lists each one with its key path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- hub -------------------------------------------------------------------------------------


class HubSection(_Section):
    url: str = "embedded"
    """``embedded`` starts the demo hub on a free loopback port; else ``http(s)://host:port``."""
    ca_file: Path | None = None
    """PEM bundle of the hub's certificate authority, pinned for HTTPS."""
    enrolment_code: str | None = "DEMO-ENROL"
    credential_path: Path = Path("var/credential.json")
    heartbeat_interval_s: int = Field(30, ge=5, le=3600)
    timeout_s: float = Field(8.0, gt=0, le=60)
    """Seconds before a hub call is given up and the person told so."""
    embedded_config: Path = Path("config/hub.toml")
    embedded_database_url: str = "sqlite:///var/demo-hub.db"
    offline_cache_dir: Path = Path("var/offline")
    """Where the last catalogue and guides are kept for reading while the hub is down."""
    embedded_port: int = Field(8700, ge=0, le=65535)
    """Port of the embedded hub (and its console); 0 or a busy port means any free one."""

    @field_validator("url")
    @classmethod
    def _url_shape(cls, value: str) -> str:
        if value != "embedded" and not value.startswith(("http://", "https://")):
            raise ValueError("must be 'embedded' or start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _tls_policy(self) -> HubSection:
        # The hub client's policy, checked at load so it is reported with the other
        # problems: plain http only to loopback, https only with the hub's CA. The
        # CA file's presence is checked when the client is built (it may be
        # provisioned after the config is written).
        if self.url != "embedded":
            validate_hub(self.url, self.ca_file, check_file=False)
        return self


class PlaceSection(_Section):
    county: str = "兰考县"
    town: str = ""
    village: str = ""
    branch: str = ""


class TerminalSection(_Section):
    name: str = "demo-terminal"
    service_point: str = "lankao-demo"
    place: PlaceSection = PlaceSection()
    timezone: str = "Asia/Shanghai"
    """Times on screen and paper are local to the service point, whatever the OS clock zone."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from None
        return value


# --- devices ---------------------------------------------------------------------------------


class SimDevice(_Section):
    type: Literal["sim"]


class SerialIdCard(_Section):
    type: Literal["serial"]
    port: str
    baudrate: Literal[115200, 57600, 38400, 19200, 9600] = 115200
    poll_interval_ms: int = Field(400, ge=300, le=5000)
    """Polling faster than every 300 ms upsets real SAM modules (idcard-reader.md)."""


class PcscSmartCard(_Section):
    type: Literal["pcsc"]
    reader: str = ""
    """Substring of the PC/SC reader name; empty means the first reader."""


class SerialScanner(_Section):
    type: Literal["serial"]
    port: str
    baudrate: int = Field(9600, gt=0)
    terminator: Literal["\r", "\n", "\r\n"] = "\r"


class KeyboardScanner(_Section):
    type: Literal["keyboard"]
    max_interval_ms: int = Field(50, ge=5, le=200)
    """Keys closer together than this belong to one scanner burst, not a person."""


IdCardSection = Annotated[SimDevice | SerialIdCard, Field(discriminator="type")]
SmartCardSection = Annotated[SimDevice | PcscSmartCard, Field(discriminator="type")]
ScannerSection = Annotated[SimDevice | SerialScanner | KeyboardScanner, Field(discriminator="type")]


class DevicesSection(_Section):
    idcard: IdCardSection = SimDevice(type="sim")
    smartcard: SmartCardSection = SimDevice(type="sim")
    printer: PrinterSettings = PrinterSettings()
    """The driver's own settings model (drivers/printer/settings.py): one schema, one
    set of defaults, every key settable here."""
    scanner: ScannerSection = SimDevice(type="sim")
    document_printer: DocumentPrinterSettings = DocumentPrinterSettings()
    """The A4 printer for certificates (drivers/printer/a4_settings.py); none by default."""

    @property
    def simulated(self) -> bool:
        """True when any device is simulated: demo affordances are allowed then."""
        return any(
            d.type == "sim" for d in (self.idcard, self.smartcard, self.printer, self.scanner)
        )


# --- people-facing behaviour -----------------------------------------------------------------


class SpeechSection(_Section):
    enabled: bool = True
    voice: str = "cmn-latn-pinyin"
    rate_cpm: int = Field(190, ge=120, le=260)
    """Chinese characters per minute; 180-210 suits older listeners (speech.md)."""
    cache_dir: Path = Path("var/speech-cache")
    voice_in_elder_mode: bool = True
    """Turn voice guidance on automatically when a person chooses 长辈 mode."""


class DisplaySection(_Section):
    ppi: float = Field(96, ge=40, le=600)
    """Physical pixel density, used to size text and targets in millimetres."""
    fullscreen: bool = True
    theme: Literal["standard", "high_contrast"] = "standard"


class SessionSection(_Section):
    idle_warning_s: int = Field(45, ge=15, le=600)
    warning_answer_s: int = Field(20, ge=20, le=300)
    elder_idle_warning_s: int = Field(90, ge=60, le=900)
    elder_warning_answer_s: int = Field(30, ge=20, le=300)
    tap_debounce_ms: int = Field(400, ge=300, le=500)
    """Repeated taps on one target within this window are ignored (tremor)."""
    attract_rotation_s: int = Field(8, ge=3, le=120)


class JournalSection(_Section):
    path: Path = Path("var/journal.sqlite")
    quota_mb: int = Field(512, ge=1)
    retention_days: int = Field(183, ge=183, le=3650)
    """At least six months (网络安全法 Art. 21)."""


class UiSection(_Section):
    language: Literal["zh_CN", "en"] = "zh_CN"


class KioskConfig(_Section):
    hub: HubSection = HubSection()
    terminal: TerminalSection = TerminalSection()
    devices: DevicesSection = DevicesSection()
    speech: SpeechSection = SpeechSection()
    display: DisplaySection = DisplaySection()
    session: SessionSection = SessionSection()
    journal: JournalSection = JournalSection()
    ui: UiSection = UiSection()


# --- loading ---------------------------------------------------------------------------------


def _known_keys(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _describe(err: Any, raw: dict[str, Any]) -> str:
    path = ".".join(str(p) for p in err["loc"] if not str(p).startswith(("function-", "tagged-")))
    # Discriminated unions put the tag in the path ("devices.idcard.serial.port"): drop it.
    parts = [p for p in path.split(".") if p not in {"sim", "serial", "pcsc", "network", "usb"}]
    path = ".".join(parts) or "(top level)"
    if err["type"] == "extra_forbidden":
        hint = _did_you_mean(parts, raw)
        return f"{path}: unknown key{hint}"
    if err["type"] == "union_tag_invalid":
        return f"{path}.type: {err['msg']}"
    return f"{path}: {err['msg']}"


def _did_you_mean(parts: list[str], raw: dict[str, Any]) -> str:
    model: type[BaseModel] = KioskConfig
    for part in parts[:-1]:
        field = model.model_fields.get(part)
        annotation = getattr(field, "annotation", None)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            return ""
    renamed: dict[str, str] = getattr(model, "RENAMED_KEYS", {})
    if parts[-1] in renamed:
        return f" (replaced by {renamed[parts[-1]]})"
    close = difflib.get_close_matches(parts[-1], _known_keys(model), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def parse_config(raw: dict[str, Any]) -> KioskConfig:
    """Validate a parsed TOML document; raises :class:`ConfigError` listing every problem."""
    try:
        return KioskConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError([_describe(e, raw) for e in exc.errors()]) from exc


def load_config(path: str | Path) -> KioskConfig:
    """Read and validate ``path``; raises :class:`ConfigError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror}"]) from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from exc
    return parse_config(raw)

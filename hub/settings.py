"""Hub configuration (``config/hub.toml``), validated once at start.

Every problem is reported with its key path; the process exits with status 2
and never falls back silently (see :func:`load_hub_settings`).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

# Payment providers this hub has an adapter for (hub/services/payments/). Only
# the sandbox so far: a real channel (WeChat Pay, Alipay, a bank) joins this list
# with its adapter, so a config naming one that does not exist stops the hub.
PAYMENT_PROVIDERS = ("sandbox",)
# payment_provider = "none": this hub takes no payments; the terminals hide 缴费
# and tell people where to pay instead (pay_elsewhere_notice).
PAYMENTS_OFF = "none"
_URL = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")


class HubConfigError(Exception):
    """The hub's configuration is invalid; ``problems`` lists each one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HubSettings(_Strict):
    """Settings of one hub process. Paths are relative to the config file."""

    host: str = "127.0.0.1"
    port: int = Field(8700, ge=0, le=65535)  # 0 = pick a free port
    database_url: str = "sqlite:///var/hub.db"
    secret_key: str = Field("dev-secret-change-me", min_length=16)
    demo_data: bool = True  # seed the demo provider's citizens and records
    catalogue_path: str = "config/catalogue.json"
    webhook_url: str | None = None  # alerts are POSTed here when set
    session_idle_minutes: int = Field(30, ge=1, le=24 * 60)
    heartbeat_interval_s: int = Field(30, ge=5, le=3600)
    workers: int = Field(1, ge=1, le=64)
    # A console login created at start when no operator exists (demo only).
    bootstrap_admin: str | None = "admin"
    bootstrap_password: str | None = "huimin-demo"
    # The payment channel (one of PAYMENT_PROVIDERS, or PAYMENTS_OFF). Unset: the
    # sandbox when demo_data is on; a hub without demo data must name it.
    payment_provider: str | None = Field(None, validate_default=True)
    # Said by the terminals instead of offering 缴费 while payments are off.
    pay_elsewhere_notice: str = Field(
        "请到村便民服务站窗口或通过微信/支付宝医保小程序缴费", min_length=1, max_length=200
    )
    pay_elsewhere_notice_en: str = Field(
        "Please pay at the village service point's counter, or in the medical insurance"
        " mini-program of WeChat or Alipay.",
        min_length=1,
        max_length=300,
    )
    # The address citizens' phones reach the hub at (https://hub.lankao.example):
    # printed in certificate QR codes. Unset: the address the terminal used.
    public_url: str | None = None
    # Slow clients (hub/server.py): a request's head must arrive within
    # header_timeout_s; a body may pause at most body_timeout_s between chunks;
    # an idle kept-alive connection is closed after keep_alive_timeout_s.
    header_timeout_s: float = Field(10.0, gt=0, le=300)
    body_timeout_s: float = Field(30.0, gt=0, le=600)
    keep_alive_timeout_s: int = Field(5, ge=1, le=300)
    # Data at rest (hub/crypto.py): the key that encrypts contact data, kept
    # OUTSIDE the database (created at first start only in demo mode), and the
    # algorithms: "standard" (SHA-256, AES-256-GCM) or "gm" (国密 SM3, SM4-GCM).
    data_key_file: str = "var/hub-data.key"
    crypto: Literal["standard", "gm"] = "standard"
    # Over-the-air updates (hub/releases, hub/fleet/rollouts.py): the TUF
    # repository served to terminals, and how often terminals ask for updates.
    releases_dir: str = "var/releases"
    update_poll_s: int = Field(60, ge=1, le=3600)

    @field_validator("payment_provider")
    @classmethod
    def _known_provider(cls, value: str | None, info: ValidationInfo) -> str:
        choices = ", ".join((PAYMENTS_OFF, *PAYMENT_PROVIDERS))
        if value is None:
            if info.data.get("demo_data", True):
                return "sandbox"
            raise ValueError(f"required when demo_data is false (choices: {choices})")
        if value != PAYMENTS_OFF and value not in PAYMENT_PROVIDERS:
            raise ValueError(f"no payment adapter {value!r} (choices: {choices})")
        return value

    @property
    def payments_enabled(self) -> bool:
        """Whether this hub takes payments (a channel is configured)."""
        return self.payment_provider != PAYMENTS_OFF

    @field_validator("public_url")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _URL.match(value):
            raise ValueError("must be an absolute http(s) URL such as https://hub.lankao.example")
        return value.rstrip("/")


def load_hub_settings(path: str | Path | None) -> HubSettings:
    """Read and validate ``path``; ``None`` gives the defaults."""
    if path is None:
        return HubSettings()
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HubConfigError([f"{path}: file not found"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise HubConfigError([f"{path}: not valid TOML: {exc}"]) from exc
    section = raw.get("hub", raw)
    try:
        return HubSettings.model_validate(section)
    except ValidationError as exc:
        raise HubConfigError(
            [f"hub.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]
        ) from exc

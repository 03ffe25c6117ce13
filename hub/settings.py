"""Hub configuration (``config/hub.toml``), validated once at start.

Every problem is reported with its key path; the process exits with status 2
and never falls back silently (see :func:`load_hub_settings`).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hub.documents.settings import DocumentSettings
from hub.merchant_settings import AlipayMerchant, WeChatMerchant

# Payment providers this hub has an adapter for (hub/services/payments/). Only
# the sandbox so far: a real channel (WeChat Pay, Alipay, a bank) joins this list
# with its adapter, so a config naming one that does not exist stops the hub.
PAYMENT_PROVIDERS = ("sandbox", "wechat", "alipay")
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
    # Queue tickets one terminal may draw (hub/services/tickets.py): a village
    # point sees a few people a minute at its busiest; a script draining the
    # queue numbers is refused (429) above these.
    ticket_limit_per_minute: int = Field(6, ge=1, le=600)
    ticket_limit_per_hour: int = Field(120, ge=1, le=10_000)
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
    # WeChat Pay merchant settings (hub/merchant_settings.py), required when
    # payment_provider = "wechat"; the keys stay in files named here.
    wechat: WeChatMerchant | None = None
    # Alipay application settings, required when payment_provider = "alipay".
    alipay: AlipayMerchant | None = None
    # [hub.documents]: signed A4 certificates, the office seal (key file or
    # PKCS#11 token) and phone links (hub/documents/settings.py).
    documents: DocumentSettings = Field(default_factory=DocumentSettings)
    # The back office (hub/backoffice/). Progress SMS go through a provider's HTTP
    # API when sms_gateway_url is set, signed with the key in sms_gateway_key_file
    # (HMAC-SHA256, SM3-HMAC under crypto = "gm"); unset, they are recorded, not sent.
    sms_gateway_url: str | None = None
    sms_gateway_key_file: str | None = Field(None, validate_default=True)
    sms_template_id: str = Field("huimin_progress", min_length=1, max_length=64)
    # 黄牌 once this share of an application's time limit is used; 红牌 when passed.
    deadline_yellow_share: float = Field(0.8, gt=0, lt=1)
    # How often the time limits are checked for new warnings (seconds).
    supervision_interval_s: float = Field(300.0, ge=0.5, le=3600)
    # Upstream reporting to the provincial platform (hub/backoffice/upstream.py):
    # unset upstream_url, nothing is captured. Signed like the SMS requests; an
    # alert fires when the oldest unsent record is older than upstream_max_age_hours.
    upstream_url: str | None = None
    upstream_key_file: str | None = Field(None, validate_default=True)
    upstream_sender_id: str = Field("huimin-hub", min_length=1, max_length=64)
    upstream_max_age_hours: float = Field(12.0, gt=0, le=168)
    upstream_interval_s: float = Field(60.0, ge=0.5, le=3600)
    # Person sessions (DESIGN §7): how long one lasts at most (the kiosk closes it
    # sooner, when its session ends), how many a terminal may open (or try to)
    # per hour before the hub refuses and raises a console alert, and how far a
    # signed request's timestamp may be from the hub's clock.
    person_session_minutes: int = Field(15, ge=1, le=120)
    person_sessions_per_hour: int = Field(60, ge=1, le=10_000)
    signature_window_s: int = Field(120, ge=10, le=3600)
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

    @model_validator(mode="after")
    def _channel_configured(self) -> HubSettings:
        if self.payment_provider == "wechat" and self.wechat is None:
            raise ValueError('payment_provider = "wechat" needs a [hub.wechat] table')
        if self.payment_provider == "alipay" and self.alipay is None:
            raise ValueError('payment_provider = "alipay" needs a [hub.alipay] table')
        return self

    @property
    def payments_enabled(self) -> bool:
        """Whether this hub takes payments (a channel is configured)."""
        return self.payment_provider != PAYMENTS_OFF

    @field_validator("sms_gateway_url", "upstream_url")
    @classmethod
    def _endpoint_url(cls, value: str | None) -> str | None:
        if value is not None and not _URL.match(value):
            raise ValueError("must be an absolute http(s) URL")
        return value

    @field_validator("upstream_key_file")
    @classmethod
    def _upstream_key(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("upstream_url") and not value:
            raise ValueError("required when upstream_url is set (the request signing key)")
        return value

    @field_validator("sms_gateway_key_file")
    @classmethod
    def _gateway_key(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("sms_gateway_url") and not value:
            raise ValueError("required when sms_gateway_url is set (the request signing key)")
        return value

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

"""Merchant settings of the real payment channels: the ``[hub.wechat]`` table of
hub.toml (validated with the rest of :class:`hub.settings.HubSettings`).

Only paths and identifiers live here; the secrets stay in their files, read by
:mod:`hub.services.payments.merchant` when the channel is built.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

_HTTP = r"^https?://[^\s/?#]+(/[^\s?#]*)?$"


class WeChatMerchant(BaseModel):
    """A directly connected WeChat Pay merchant (直连商户), API v3."""

    model_config = ConfigDict(extra="forbid")

    mchid: str = Field(pattern=r"^\d{8,12}$", description="商户号")
    appid: str = Field(pattern=r"^wx[0-9a-zA-Z]{8,30}$", description="the AppID bound to mchid")
    # The merchant API certificate's serial number (商户API证书序列号), sent in
    # every Authorization header so WeChat Pay knows which key signed.
    cert_serial_no: str = Field(pattern=r"^[0-9A-Fa-f]{8,40}$")
    private_key_file: str = Field(description="apiclient_key.pem, mode 0600")
    apiv3_key_file: str = Field(description="the 32-character APIv3 key, mode 0600")
    # How answers and notifications are verified: WeChat Pay's public key
    # (微信支付公钥, the default for merchants since 2024) with its id, or the
    # platform certificates (平台证书) in a directory, named by serial number.
    platform_public_key_file: str | None = None
    platform_public_key_id: str | None = Field(None, pattern=r"^PUB_KEY_ID_[0-9A-Za-z]{4,60}$")
    platform_cert_dir: str | None = None
    # Where WeChat Pay POSTs payment notifications: this hub's public address
    # + /api/v1/services/payments/notify/wechat, reachable from the internet.
    notify_url: str = Field(pattern=_HTTP)
    gateway: str = Field("https://api.mch.weixin.qq.com", pattern=_HTTP)
    store_id: str = Field("huimin", min_length=1, max_length=32, description="门店编号")
    timeout_s: float = Field(10.0, gt=0, le=60)

    @model_validator(mode="after")
    def _one_way_to_verify(self) -> WeChatMerchant:
        by_key = self.platform_public_key_file is not None or self.platform_public_key_id
        if by_key and self.platform_cert_dir is not None:
            raise ValueError("set platform_public_key_file/_id or platform_cert_dir, not both")
        if by_key and not (self.platform_public_key_file and self.platform_public_key_id):
            raise ValueError("platform_public_key_file and platform_public_key_id go together")
        if not by_key and self.platform_cert_dir is None:
            raise ValueError(
                "set platform_public_key_file and platform_public_key_id "
                "(or platform_cert_dir) to verify WeChat Pay's signatures"
            )
        return self


def production_problems(merchant: WeChatMerchant | AlipayMerchant | None, key: str) -> list[str]:
    """What a production hub must not run with (hub/production.py asks)."""
    if merchant is None:
        return []
    problems = []
    for name in ("gateway", "notify_url"):
        value = getattr(merchant, name)
        if not value.startswith("https://"):
            problems.append(f"{key}.{name} must be an https:// address (got {value})")
    return problems


class AlipayMerchant(BaseModel):
    """An Alipay application (开放平台应用) with 当面付, public-key mode, RSA2."""

    model_config = ConfigDict(extra="forbid")

    app_id: str = Field(pattern=r"^\d{16}$", description="the application's APPID")
    app_private_key_file: str = Field(description="the application's RSA2 private key, 0600")
    alipay_public_key_file: str = Field(description="支付宝公钥: verifies answers and notices")
    # Where Alipay POSTs trade notifications: this hub's public address
    # + /api/v1/services/payments/notify/alipay, reachable from the internet.
    notify_url: str = Field(pattern=_HTTP)
    gateway: str = Field("https://openapi.alipay.com/gateway.do", pattern=_HTTP)
    # Bills are fetched only from these hosts (the answer names the URL).
    bill_hosts: list[str] = Field(default_factory=lambda: ["dwbillcenter.alipay.com"])
    store_id: str = Field("huimin", min_length=1, max_length=32, description="门店编号")
    timeout_s: float = Field(10.0, gt=0, le=60)

"""Merchant settings of the real payment channels (``[hub.wechat]``, ``[hub.alipay]``
in hub.toml) and the reading of their secrets.

Secrets (private keys, the APIv3 key) live in files outside the repository and
outside hub.toml, readable by the hub's user only: a file that group or others
may read is refused, like ssh refuses a private key with loose modes. Their
contents are never logged nor put in an error message; the messages name the
setting's key path and the file.
"""

from __future__ import annotations

import stat
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

_HTTPS = r"^https://[^\s/?#]+(/[^\s?#]*)?$"
_HTTP = r"^https?://[^\s/?#]+(/[^\s?#]*)?$"


class MerchantSecretError(Exception):
    """A secret file is missing, unreadable, too open or malformed; ``problems``
    lists each, with its key path (``hub.wechat.private_key_file: ...``)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


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


def production_problems(merchant: WeChatMerchant | None, key: str) -> list[str]:
    """What a production hub must not run with (hub/production.py asks)."""
    if merchant is None:
        return []
    problems = []
    for name in ("gateway", "notify_url"):
        value = getattr(merchant, name)
        if not value.startswith("https://"):
            problems.append(f"{key}.{name} must be an https:// address (got {value})")
    return problems


def read_secret(path: str | Path, key: str, problems: list[str]) -> bytes | None:
    """The bytes of secret file ``path``, or ``None`` with a problem appended.

    Refused: a missing or unreadable file, one that is not a regular file, one
    that group or others may read or write (mode & 0o077).
    """
    p = Path(path)
    try:
        info = p.stat()
    except OSError as exc:
        problems.append(f"{key}: {p}: {exc.strerror or 'cannot read'}")
        return None
    if not stat.S_ISREG(info.st_mode):
        problems.append(f"{key}: {p}: not a regular file")
        return None
    if info.st_mode & 0o077:
        problems.append(
            f"{key}: {p}: mode {stat.S_IMODE(info.st_mode):04o} lets others read the secret "
            "(chmod 600, owned by the hub's user)"
        )
        return None
    try:
        return p.read_bytes()
    except OSError as exc:
        problems.append(f"{key}: {p}: {exc.strerror or 'cannot read'}")
        return None


def read_public(path: str | Path, key: str, problems: list[str]) -> bytes | None:
    """The bytes of a public (non-secret) file, or ``None`` with a problem appended."""
    p = Path(path)
    try:
        return p.read_bytes()
    except OSError as exc:
        problems.append(f"{key}: {p}: {exc.strerror or 'cannot read'}")
        return None

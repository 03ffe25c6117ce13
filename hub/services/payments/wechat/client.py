"""The WeChat Pay API v3 transport: every request signed, every answer verified.

Built on the maintained ``wechatpayv3`` SDK (pinned in requirements.txt): its
``build_authorization`` signs (WECHATPAY2-SHA256-RSA2048 over method, path
with query, timestamp, nonce and body), its ``Core`` verifies signatures with
WeChat Pay's public key or platform certificates and decrypts notification
resources (AEAD_AES_256_GCM with the APIv3 key), and its ``transaction``
functions shape the request bodies. Where it falls short we add, here:

- the gateway is configurable (the SDK hard-codes api.mch.weixin.qq.com; the
  tests' emulator listens on 127.0.0.1) and requests go through one
  ``requests.Session`` with a timeout, the body sent being exactly the bytes
  that were signed;
- error answers (4xx) are verified too, not only 2xx: a forged "declined"
  must not end an order whose money may have moved;
- the Wechatpay-Timestamp of answers and notifications must be within five
  minutes of our clock (WeChat Pay's advice against replays), which the SDK
  does not check;
- transport errors, 5xx and forged answers become our ``ProviderError`` tree;
- the SDK's debug logger is never given: it would log request bodies
  (payment codes) and decrypted notifications.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from wechatpayv3.core import Core  # type: ignore[import-untyped]
from wechatpayv3.type import RequestType  # type: ignore[import-untyped]
from wechatpayv3.utils import build_authorization  # type: ignore[import-untyped]

from hub.services.payments.provider import ForgedMessage, ProviderUnavailable
from protocol.i18n import N_

log = logging.getLogger(__name__)

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
MAX_SKEW_S = 300  # WeChat Pay: refuse answers/notifications whose timestamp is off by > 5 min
_BUSY = N_("支付系统繁忙，请稍候")


@dataclass(frozen=True)
class Answer:
    """A verified answer: HTTP status, the JSON body (``{}`` when empty)."""

    status: int
    body: dict[str, Any]

    @property
    def code(self) -> str:
        return str(self.body.get("code", ""))


class _VerifyingCore(Core):
    """The SDK's Core with our transport (see the module docstring)."""

    def __init__(
        self,
        *,
        gateway: str,
        session: requests.Session,
        timeout_s: float,
        wall_clock: Callable[[], float],
        **sdk: Any,
    ) -> None:
        self._hub_gateway = gateway.rstrip("/")
        self._session = session
        self._timeout_s = timeout_s
        self._wall_clock = wall_clock
        self.last_headers: Mapping[str, str] = {}
        super().__init__(logger=None, **sdk)
        self._gate_way = self._hub_gateway  # the SDK's download_bill strips this prefix

    def request(  # the SDK's signature: its endpoint functions call this
        self,
        path: str,
        method: Any = RequestType.GET,
        data: Any = None,
        skip_verify: bool = False,
        sign_data: Any = None,
        files: Any = None,
        cipher_data: bool = False,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        body = json.dumps(data) if data else ""
        sent = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": "huimin-hub (wechatpayv3)",
            "Authorization": build_authorization(
                path, method.value, self._mchid, self._cert_serial_no, self._private_key, body
            ),
        }
        if self._public_key_id:
            sent["Wechatpay-Serial"] = self._public_key_id
        try:
            response = self._session.request(
                method.value,
                self._hub_gateway + path,
                data=body.encode() if body else None,
                headers=sent,
                timeout=self._timeout_s,
            )
        except requests.RequestException as exc:
            raise ProviderUnavailable(_BUSY, code="NETWORK") from exc
        self.last_headers = response.headers
        if response.status_code >= 500:
            # A gateway's 5xx may carry no signature; the outcome is unknown either way.
            raise ProviderUnavailable(_BUSY, code=f"HTTP{response.status_code}")
        if not skip_verify:
            self.verify(response.headers, response.text)
        if "application/json" in response.headers.get("Content-Type", ""):
            return response.status_code, response.text
        return response.status_code, response.content

    def verify(self, headers: Mapping[str, str], body: str) -> None:
        """Raise :class:`ForgedMessage` unless ``headers`` carry a fresh, valid
        signature of ``body`` by a key we trust (Wechatpay-Serial names it)."""
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            stamp = int(lowered.get("wechatpay-timestamp", ""))
        except ValueError:
            stamp = 0
        if abs(self._wall_clock() - stamp) > MAX_SKEW_S:
            raise ForgedMessage(_BUSY, code="STALE_SIGNATURE")
        try:
            valid = bool(self._verify_signature(lowered, body))
        except Exception:  # noqa: BLE001 (the SDK raises bare Exception/ValueError on odd headers)
            valid = False
        if not valid:
            raise ForgedMessage(_BUSY, code="BAD_SIGNATURE")

    def decrypt_resource(self, headers: Mapping[str, str], body: str) -> dict[str, Any]:
        """Verify a notification, then decrypt its resource (AES-256-GCM, APIv3 key)."""
        self.verify(headers, body)
        try:
            plain = self.decrypt_callback({k.lower(): v for k, v in headers.items()}, body)
        except Exception:  # noqa: BLE001 (the SDK raises bare Exception for an unknown algorithm)
            plain = None
        if not plain:
            raise ForgedMessage(_BUSY, code="UNDECRYPTABLE")
        resource: dict[str, Any] = json.loads(plain)
        return resource


class WeChatPayClient:
    """Signed calls to WeChat Pay API v3; answers come back verified.

    ``private_key_pem``, ``apiv3_key`` and the platform key are the secrets'
    contents (read by :func:`hub.services.payments.wechat.load_channel`).
    ``wall_clock`` (seconds since the epoch) is what signatures' timestamps
    are checked against.
    """

    def __init__(
        self,
        *,
        mchid: str,
        appid: str,
        cert_serial_no: str,
        private_key_pem: str,
        apiv3_key: str,
        gateway: str,
        notify_url: str,
        platform_public_key_pem: str | None = None,
        platform_public_key_id: str | None = None,
        platform_cert_dir: str | None = None,
        timeout_s: float = 10.0,
        session: requests.Session | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.mchid = mchid
        self.appid = appid
        self._core = _VerifyingCore(
            gateway=gateway,
            session=session or requests.Session(),
            timeout_s=timeout_s,
            wall_clock=wall_clock,
            mchid=mchid,
            cert_serial_no=cert_serial_no,
            private_key=private_key_pem,
            apiv3_key=apiv3_key,
            cert_dir=platform_cert_dir,
            public_key=platform_public_key_pem,
            public_key_id=platform_public_key_id,
        )
        # The SDK's endpoint functions read these attributes (as on its WeChatPay).
        self._mchid = mchid
        self._appid = appid
        self._notify_url = notify_url
        self._partner_mode = False
        self._type = None

    # The SDK's request shapes for the endpoints we use (wechatpayv3/transaction.py).
    from wechatpayv3.transaction import (  # type: ignore[import-untyped]  # noqa: I001
        close as sdk_close,
        codepay_reverse as sdk_reverse,
        download_bill as sdk_download_bill,
        pay as sdk_pay,
        query as sdk_query,
        refund as sdk_refund,
        trade_bill as sdk_trade_bill,
    )

    def call(self, sdk_call: Callable[..., tuple[int, Any]], *args: Any, **kw: Any) -> Answer:
        """Run an SDK endpoint function; the verified answer."""
        status, text = sdk_call(self, *args, **kw)
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        try:
            body = json.loads(text) if text else {}
        except ValueError:
            body = {}
        return Answer(status, body if isinstance(body, dict) else {})

    def download(self, url: str) -> bytes:
        """The bytes at a bill's download_url (not signed: checked by its hash)."""
        status, content = self.sdk_download_bill(url)
        if status != 200:
            raise ProviderUnavailable(_BUSY, code=f"HTTP{status}")
        return content if isinstance(content, bytes) else str(content).encode()

    def notification(self, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        """Verify and decrypt a notification; the envelope with ``resource`` decrypted."""
        text = body.decode("utf-8", "replace")
        resource = self._core.decrypt_resource(headers, text)
        envelope: dict[str, Any] = json.loads(text)
        envelope["resource"] = resource
        return envelope

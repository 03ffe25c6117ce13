"""The Alipay OpenAPI transport: RSA2-signed requests, verified answers.

Built on ``python-alipay-sdk`` (pinned in requirements.txt), a maintained,
small SDK for exactly the 当面付 calls we make: it builds and signs the
request (``sign_data``: sorted ``k=v`` pairs, SHA256withRSA), locates the
signed part of an answer and verifies it with the Alipay public key
(``_verify_and_return_sync_response``), and verifies notifications
(``verify``). The official ``alipay-sdk-python`` was the other candidate: it
carries thousands of generated model classes for the whole open platform and
hard-wires its own HTTP client; we need five calls.

What we add here: the configurable gateway (the SDK chooses between the
production and sandbox hosts only), a POSTed form body instead of the SDK's
GET with every parameter in the URL (a payment code must not land in a
proxy's access log), one ``requests.Session`` with a timeout, and the
translation of transport errors, unsigned and forged answers into our
``ProviderError`` tree. The SDK's ``verbose`` debug logging stays off: it
logs the signed body, payment code included.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import requests
from alipay import AliPay  # type: ignore[import-untyped]
from alipay.exceptions import AliPayException, AliPayValidationError  # type: ignore[import-untyped]

from hub.services.payments.provider import ForgedMessage, ProviderUnavailable
from protocol.i18n import N_

_BUSY = N_("支付系统繁忙，请稍候")
# The SDK configures its own DEBUG logger (and handler) at import and, in verbose
# mode, logs every signed body, payment codes included: keep it to warnings.
logging.getLogger("python-alipay-sdk").setLevel(logging.WARNING)


class _HubAliPay(AliPay):
    """The SDK's client with our transport (see the module docstring)."""

    def __init__(
        self, *, gateway: str, session: requests.Session, timeout_s: float, **sdk: Any
    ) -> None:
        super().__init__(sign_type="RSA2", verbose=False, **sdk)
        self._gateway = gateway
        self._session = session
        self._timeout_s = timeout_s

    def verified_sync_response(self, data: dict[str, Any], response_type: str) -> Any:
        try:
            response = self._session.post(
                self._gateway,
                data=self.sign_data(data).encode("utf-8"),
                headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
                timeout=self._timeout_s,
            )
        except requests.RequestException as exc:
            raise ProviderUnavailable(_BUSY, code="NETWORK") from exc
        if response.status_code != 200:
            raise ProviderUnavailable(_BUSY, code=f"HTTP{response.status_code}")
        try:
            return self._verify_and_return_sync_response(response.text, response_type)
        except AliPayValidationError:
            raise ForgedMessage(_BUSY, code="BAD_SIGNATURE") from None
        except AliPayException as exc:  # unsigned, or an error_response: nothing to act on
            code = getattr(exc, "_AliPayException__code", None) or "UNSIGNED"
            raise ProviderUnavailable(_BUSY, code=str(code)) from None
        except (ValueError, KeyError, AttributeError):
            raise ProviderUnavailable(_BUSY, code="MALFORMED") from None


class AlipayClient:
    """Signed calls to Alipay; each returns the verified ``*_response`` object."""

    def __init__(
        self,
        *,
        app_id: str,
        app_private_key_pem: str,
        alipay_public_key_pem: str,
        gateway: str,
        notify_url: str,
        timeout_s: float = 10.0,
        session: requests.Session | None = None,
    ) -> None:
        self.app_id = app_id
        self.notify_url = notify_url
        self.session = session or requests.Session()
        self.timeout_s = timeout_s
        self._sdk = _HubAliPay(
            gateway=gateway,
            session=self.session,
            timeout_s=timeout_s,
            appid=app_id,
            app_notify_url=notify_url,
            app_private_key_string=app_private_key_pem,
            alipay_public_key_string=alipay_public_key_pem,
        )

    def pay(self, **biz: Any) -> dict[str, Any]:
        """alipay.trade.pay (当面付 付款码)."""
        out_trade_no = biz.pop("out_trade_no")
        auth_code = biz.pop("auth_code")
        subject = biz.pop("subject")
        return dict(
            self._sdk.api_alipay_trade_pay(out_trade_no, "bar_code", auth_code, subject, **biz)
        )

    def precreate(self, **biz: Any) -> dict[str, Any]:
        """alipay.trade.precreate (当面付 扫码)."""
        subject = biz.pop("subject")
        out_trade_no = biz.pop("out_trade_no")
        total = biz.pop("total_amount")
        return dict(self._sdk.api_alipay_trade_precreate(subject, out_trade_no, total, **biz))

    def query(self, out_trade_no: str) -> dict[str, Any]:
        return dict(self._sdk.api_alipay_trade_query(out_trade_no=out_trade_no))

    def cancel(self, out_trade_no: str) -> dict[str, Any]:
        return dict(self._sdk.api_alipay_trade_cancel(out_trade_no=out_trade_no))

    def refund(self, out_trade_no: str, refund_amount: str, out_request_no: str) -> dict[str, Any]:
        return dict(
            self._sdk.api_alipay_trade_refund(
                refund_amount, out_trade_no=out_trade_no, out_request_no=out_request_no
            )
        )

    def bill_url(self, bill_date: str) -> dict[str, Any]:
        """alipay.data.dataservice.bill.downloadurl.query: the SDK has no helper for
        it; its generic ``server_api`` signs and verifies it like the others."""
        return dict(
            self._sdk.server_api(
                "alipay.data.dataservice.bill.downloadurl.query",
                {"bill_type": "trade", "bill_date": bill_date},
            )
        )

    def verify_notification(self, form: Mapping[str, str]) -> bool:
        """Whether a notification's ``sign`` verifies (over every field but sign
        and sign_type, sorted) with the Alipay public key."""
        data = dict(form)
        signature = data.pop("sign", "")
        if not signature or data.get("sign_type", "RSA2") != "RSA2":
            return False
        try:
            return bool(self._sdk.verify(data, signature))
        except (AliPayException, ValueError, TypeError):
            return False

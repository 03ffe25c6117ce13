"""The payment "channel" of a hub whose payments are off (``payment_provider = "none"``).

The payment routes that start a trade refuse before reaching it
(``hub.services.terminal_settings.require_payments``); the sweep may still
step orders made before payments were switched off, and learns here that no
channel can answer for them, so they stay for an operator to settle.
"""

from __future__ import annotations

from datetime import date

from hub.services.payments.provider import BillRow, Method, ProviderUnavailable, TradeResult
from protocol.i18n import N_

_OFF = N_("本服务点未开通缴费")


class NoPaymentChannel:
    """A :class:`~hub.services.payments.provider.PaymentProvider` that never answers."""

    def create(
        self,
        order_no: str,
        amount_fen: int,
        method: Method,
        description: str,
        auth_code: str | None = None,
    ) -> TradeResult:
        raise ProviderUnavailable(_OFF, code="PAYMENTS_OFF")

    def query(self, order_no: str) -> TradeResult:
        raise ProviderUnavailable(_OFF, code="PAYMENTS_OFF")

    def cancel(self, order_no: str) -> TradeResult:
        raise ProviderUnavailable(_OFF, code="PAYMENTS_OFF")

    def refund(self, order_no: str, refund_no: str, amount_fen: int) -> None:
        raise ProviderUnavailable(_OFF, code="PAYMENTS_OFF")

    def daily_bill(self, day: date) -> list[BillRow]:
        return []

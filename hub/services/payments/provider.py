"""The payment provider seam, shaped after WeChat Pay / Alipay's offline APIs.

Operations (all idempotent on the merchant's numbers, as the providers'
are): create a trade (micropay with the customer's 付款码, or a native QR the
customer scans), query it, cancel it (micropay: reverse/撤销, which refunds a
trade that got paid meanwhile; native: close, refused once paid), refund,
and the daily bill for reconciliation (specs/payments-and-privacy.md
§Payments). Amounts are integers in fen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal, Protocol

Method = Literal["native", "micropay"]


class TradeState(StrEnum):
    """The provider's view of a trade (WeChat Pay trade_state names)."""

    NOTPAY = "NOTPAY"  # native QR not paid yet
    USERPAYING = "USERPAYING"  # micropay: the customer is entering the password
    SUCCESS = "SUCCESS"
    CLOSED = "CLOSED"  # closed without payment
    REVOKED = "REVOKED"  # reversed; paid money (if any) went back
    PAYERROR = "PAYERROR"  # declined: nothing was taken


@dataclass(frozen=True)
class TradeResult:
    state: TradeState
    qr_payload: str | None = None  # native: what the QR code encodes
    refunded_fen: int = 0  # REVOKED after payment: what the reversal gave back


@dataclass(frozen=True)
class BillRow:
    """One line of the provider's daily bill."""

    order_no: str
    kind: Literal["pay", "refund"]
    amount_fen: int
    at: datetime


@dataclass(frozen=True)
class ChannelRules:
    """A channel's timing rules, which :class:`~.service.PaymentService` follows.

    ``micropay_window``: how long a 付款码 trade is queried before it is
    reversed; ``native_window``: the life of a QR code (and the provider's
    minimum age before a close). The defaults are the sandbox's (WeChat Pay's
    v2 guidance: poll within about 45 s); a channel states its own with a
    ``rules`` attribute.
    """

    micropay_window: timedelta = timedelta(seconds=45)
    native_window: timedelta = timedelta(minutes=5)


DEFAULT_RULES = ChannelRules()


@dataclass(frozen=True)
class TradeEvent:
    """What a verified asynchronous notification says about one trade."""

    order_no: str
    amount_fen: int
    result: TradeResult


class ProviderError(Exception):
    """A provider call failed. ``message`` is a Chinese sentence safe to show;
    it never contains the payment code."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class ProviderUnavailable(ProviderError):
    """Network error or SYSTEMERROR: the outcome is unknown; query before anything else."""


class ProviderRejected(ProviderError):
    """A definite refusal (invalid code, insufficient funds …): nothing was charged."""


class TradeNotFound(ProviderError):
    """The provider has no trade with this number (it never received the create)."""


class ForgedMessage(ProviderUnavailable):
    """An answer or notification whose signature does not verify (or that does not
    decrypt): never acted on. As an answer it tells nothing, so the outcome is
    unknown (a :class:`ProviderUnavailable`); the service alerts the operators."""


class PaymentProvider(Protocol):
    """A payment channel. Every method may raise :class:`ProviderUnavailable`."""

    def create(
        self,
        order_no: str,
        amount_fen: int,
        method: Method,
        description: str,
        auth_code: str | None = None,
    ) -> TradeResult:
        """Start a trade. Micropay may already be SUCCESS; native returns NOTPAY and
        the QR payload. Raises :class:`ProviderRejected` on a definite refusal."""
        ...

    def query(self, order_no: str) -> TradeResult:
        """The trade's current state; :class:`TradeNotFound` if it does not exist."""
        ...

    def cancel(self, order_no: str) -> TradeResult:
        """Reverse (micropay) or close (native) the trade.

        Returns REVOKED (with ``refunded_fen`` if it had been paid), CLOSED, or
        SUCCESS when a paid native trade cannot be closed (the caller refunds).
        Raises :class:`ProviderRejected` if the trade is too new to close yet.
        """
        ...

    def refund(self, order_no: str, refund_no: str, amount_fen: int) -> None:
        """Refund ``amount_fen`` of a paid trade; idempotent per ``refund_no``."""
        ...

    def daily_bill(self, day: date) -> list[BillRow]:
        """Every payment and refund of ``day`` (China Standard Time)."""
        ...


class NotifyingChannel(PaymentProvider, Protocol):
    """A real channel: it also pushes signed notifications to the hub."""

    name: str
    rules: ChannelRules

    def notification(self, headers: dict[str, str], body: bytes) -> TradeEvent | None:
        """Verify (signature first), decrypt and read one notification.

        Returns the trade event, or ``None`` for a verified notification that
        is not about a trade's payment (e.g. a refund's). Raises
        :class:`ForgedMessage` when it does not verify.
        """
        ...

    def notification_answer(self, accepted: bool) -> tuple[int, bytes, str]:
        """The HTTP answer (status, body, content type) the provider expects."""
        ...

"""A payment provider that behaves like WeChat Pay / Alipay offline payments,
for the demo and the tests. Nothing leaves the machine.

Each trade follows a :class:`Behaviour` chosen when it is created: how long
the customer takes to pay (or never), a decline, transient SYSTEMERRORs
(sometimes after the provider already acted, so the answer is lost), and the
customer who pays in the instant between the merchant's last query and its
cancel. Time comes from an injectable clock, so tests run minutes of protocol
time in milliseconds. The sandbox keeps a ledger of charges and refunds so
tests can prove nobody paid twice.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from hub.services.clock import Clock, local_date
from hub.services.payments.provider import (
    BillRow,
    Method,
    ProviderRejected,
    ProviderUnavailable,
    TradeNotFound,
    TradeResult,
    TradeState,
)

# WeChat Pay 付款码: 18 digits starting 10–15; Alipay: 16–24 digits starting 25–30.
_WECHAT_CODE = re.compile(r"^1[0-5]\d{16}$")
_ALIPAY_CODE = re.compile(r"^(2[5-9]|30)\d{14,22}$")
NATIVE_MIN_CLOSE_AGE = timedelta(minutes=5)  # WeChat: close only orders older than 5 min


def _valid_auth_code(code: str | None) -> bool:
    return code is not None and bool(_WECHAT_CODE.match(code) or _ALIPAY_CODE.match(code))


@dataclass(frozen=True)
class Behaviour:
    """How one simulated customer and provider behave for one trade."""

    pay_after_s: float | None = 4.0  # None: never pays (native: until sandbox ``pay``)
    decline: str | None = None  # e.g. "余额不足": create is refused, nothing charged
    error_rate: float = 0.0  # chance each call fails with SYSTEMERROR
    pay_on_cancel: bool = False  # the customer pays just before the cancel lands


def demo_behaviour(method: Method, auth_code: str | None) -> Behaviour:
    """The demo's customers: micropay codes ending in 0000 are declined for lack of
    funds; others pay after a 4 s password prompt; native QRs wait for ``pay``."""
    if method == "native":
        return Behaviour(pay_after_s=None)
    if auth_code is not None and auth_code.endswith("0000"):
        return Behaviour(decline="付款账户余额不足，请更换付款方式")
    return Behaviour(pay_after_s=4.0)


@dataclass
class _Trade:
    amount_fen: int
    method: Method
    created_at: datetime
    behaviour: Behaviour
    state: TradeState
    paid_at: datetime | None = None
    charges: int = 0
    refunds: dict[str, int] = field(default_factory=dict)


class SandboxPaymentProvider:
    """:class:`~hub.services.payments.provider.PaymentProvider` simulated in memory."""

    def __init__(
        self,
        clock: Clock,
        *,
        behaviour_for: Callable[[Method, str | None], Behaviour] = demo_behaviour,
        rng: random.Random | None = None,
    ) -> None:
        self._clock = clock
        self.behaviour_for = behaviour_for
        self._rng = rng or random.Random()
        self._trades: dict[str, _Trade] = {}
        self._bill: list[BillRow] = []
        self._lock = threading.Lock()
        self.outage = False  # True: every call fails with SYSTEMERROR (tests, demo drills)

    # --- the provider interface ---

    def create(
        self,
        order_no: str,
        amount_fen: int,
        method: Method,
        description: str,
        auth_code: str | None = None,
    ) -> TradeResult:
        with self._lock:
            existing = self._trades.get(order_no)
            if existing is not None:
                # A retried create answers like a query (providers dedupe out_trade_no).
                self._maybe_fail(existing.behaviour.error_rate)
                return self._result(order_no)
            behaviour = self.behaviour_for(method, auth_code)
            self._maybe_fail(behaviour.error_rate)
            if method == "micropay" and not _valid_auth_code(auth_code):
                raise ProviderRejected(
                    "付款码无效，请刷新付款码后重新扫描", code="AUTH_CODE_INVALID"
                )
            if behaviour.decline:
                raise ProviderRejected(behaviour.decline, code="NOTENOUGH")
            trade = _Trade(
                amount_fen=amount_fen,
                method=method,
                created_at=self._clock.now(),
                behaviour=behaviour,
                state=TradeState.USERPAYING if method == "micropay" else TradeState.NOTPAY,
            )
            self._trades[order_no] = trade
            if behaviour.pay_after_s is not None and behaviour.pay_after_s <= 0:
                self._charge(order_no, trade)
            self._maybe_fail(behaviour.error_rate / 2)  # acted, but the answer is lost
            return self._result(order_no)

    def query(self, order_no: str) -> TradeResult:
        with self._lock:
            self._maybe_fail(self._get(order_no).behaviour.error_rate)
            return self._result(order_no)

    def cancel(self, order_no: str) -> TradeResult:
        with self._lock:
            trade = self._get(order_no)
            self._maybe_fail(trade.behaviour.error_rate)
            self._progress(order_no, trade)
            if trade.behaviour.pay_on_cancel and trade.state in (
                TradeState.NOTPAY,
                TradeState.USERPAYING,
            ):
                self._charge(order_no, trade)  # paid between the last query and now
            if trade.method == "native":
                if trade.state == TradeState.SUCCESS:
                    return TradeResult(TradeState.SUCCESS)  # ORDERPAID: cannot close
                if trade.state == TradeState.NOTPAY:
                    if self._clock.now() - trade.created_at < NATIVE_MIN_CLOSE_AGE:
                        raise ProviderRejected(
                            "订单创建不足5分钟，暂不能关闭", code="ORDER_TOO_NEW"
                        )
                    trade.state = TradeState.CLOSED
                self._maybe_fail(trade.behaviour.error_rate / 2)
                return TradeResult(trade.state)
            if trade.state == TradeState.SUCCESS:
                refunded = trade.amount_fen - sum(trade.refunds.values())
                self._refund(order_no, trade, f"{order_no}-REVOKE", refunded)
            if trade.state in (TradeState.SUCCESS, TradeState.USERPAYING, TradeState.NOTPAY):
                trade.state = TradeState.REVOKED
            self._maybe_fail(trade.behaviour.error_rate / 2)
            return self._result(order_no)

    def refund(self, order_no: str, refund_no: str, amount_fen: int) -> None:
        with self._lock:
            trade = self._get(order_no)
            self._maybe_fail(trade.behaviour.error_rate)
            self._progress(order_no, trade)
            if refund_no in trade.refunds:
                return
            if trade.charges == 0:
                raise ProviderRejected("订单未支付，不能退款", code="TRADE_NOT_PAID")
            if sum(trade.refunds.values()) + amount_fen > trade.amount_fen:
                raise ProviderRejected("退款金额超过订单金额", code="REFUND_AMOUNT_INVALID")
            self._refund(order_no, trade, refund_no, amount_fen)
            self._maybe_fail(trade.behaviour.error_rate / 2)

    def daily_bill(self, day: date) -> list[BillRow]:
        with self._lock:
            return [row for row in self._bill if local_date(row.at) == day]

    # --- the demo's simulated phone ---

    def pay(self, order_no: str) -> TradeState:
        """The customer scans the native QR and pays now (demo and tests)."""
        with self._lock:
            trade = self._get(order_no)
            self._progress(order_no, trade)
            if trade.state in (TradeState.NOTPAY, TradeState.USERPAYING):
                self._charge(order_no, trade)
            return trade.state

    # --- what tests inspect ---

    def charges(self, order_no: str) -> int:
        """How many times the customer was charged for this trade (must be <= 1)."""
        with self._lock:
            trade = self._trades.get(order_no)
            return trade.charges if trade else 0

    def net_fen(self, order_no: str) -> int:
        """Money kept by the merchant for this trade: charged minus refunded."""
        with self._lock:
            trade = self._trades.get(order_no)
            if trade is None:
                return 0
            return trade.charges * trade.amount_fen - sum(trade.refunds.values())

    def has_trade(self, order_no: str) -> bool:
        with self._lock:
            return order_no in self._trades

    # --- internals (lock held) ---

    def _get(self, order_no: str) -> _Trade:
        trade = self._trades.get(order_no)
        if trade is None:
            raise TradeNotFound("订单不存在", code="ORDERNOTEXIST")
        return trade

    def _result(self, order_no: str) -> TradeResult:
        trade = self._get(order_no)
        self._progress(order_no, trade)
        qr = f"huimin-sandbox://pay/{order_no}" if trade.method == "native" else None
        refunded = sum(trade.refunds.values()) if trade.state == TradeState.REVOKED else 0
        return TradeResult(trade.state, qr_payload=qr, refunded_fen=refunded)

    def _progress(self, order_no: str, trade: _Trade) -> None:
        after = trade.behaviour.pay_after_s
        if (
            after is not None
            and trade.state in (TradeState.NOTPAY, TradeState.USERPAYING)
            and self._clock.now() >= trade.created_at + timedelta(seconds=after)
        ):
            self._charge(order_no, trade)

    def _charge(self, order_no: str, trade: _Trade) -> None:
        trade.state = TradeState.SUCCESS
        trade.charges += 1
        trade.paid_at = self._clock.now()
        self._bill.append(BillRow(order_no, "pay", trade.amount_fen, trade.paid_at))

    def _refund(self, order_no: str, trade: _Trade, refund_no: str, amount: int) -> None:
        trade.refunds[refund_no] = amount
        self._bill.append(BillRow(order_no, "refund", amount, self._clock.now()))

    def _maybe_fail(self, rate: float) -> None:
        if self.outage or (rate and self._rng.random() < rate):
            raise ProviderUnavailable("支付系统繁忙，请稍候", code="SYSTEMERROR")

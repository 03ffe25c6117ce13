"""One payment order at the terminal, journaled before every step.

Rules (specs/payments-and-privacy.md §Payments, §Journal):
- every step is journaled BEFORE it happens (``payment`` records carry the
  idempotency key, the order number once known, the step and the state —
  never an ID number or a payment code);
- one idempotency key per order; a retry after a refusal is a new order
  with a new key ("a retry needs a new out_trade_no");
- no payment starts while the hub is unreachable: the create's work checks
  first and raises :class:`~kiosk.flows.payments.PaymentNotStarted`;
- a payment code (micropay) is queried every 3–5 s and, if still unpaid
  after about 45 s, reversed; a merchant QR (native) is closed when the
  person gives up or its time runs out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kiosk.flows.payments import FINAL_STATUSES, PaymentNotStarted, Payments, new_idempotency_key
from kiosk.hub_client import HubUnavailable
from kiosk.hub_client.models import Order, SandboxPayment

if TYPE_CHECKING:
    from kiosk.session import Identity

POLL_INTERVAL_S = 3.0  # WeChat micropay: query every 3–5 s
MICROPAY_LIMIT_S = 45.0  # stop querying within about 45 s, then reverse
NATIVE_LIMIT_S = 300.0  # the hub's QR life (NATIVE_WINDOW)
JOURNAL_KIND = "payment"

Record = Callable[[str, dict[str, Any]], None]


@dataclass
class PaymentOrder:
    """Methods named ``begin_*`` run on the UI thread: they journal the step and
    return the blocking work for a task; the task's result goes to :meth:`apply`
    (UI thread again)."""

    payments: Payments
    record: Record
    item: str
    payer_count: int
    method: str  # native | micropay
    identity: Identity | None = field(default=None, repr=False)
    """The card holder: the order is made in their person session."""
    key: str = field(default_factory=new_idempotency_key)
    order_no: str | None = None
    status: str = "NEW"
    view: Order | None = None
    """The hub's last answer about the order."""
    started_at: float | None = None
    last_query_at: float = 0.0
    cancel_sent: bool = False

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def limit_s(self) -> float:
        return MICROPAY_LIMIT_S if self.method == "micropay" else NATIVE_LIMIT_S

    def _journal(self, step: str, **extra: Any) -> None:
        data = {
            "key": self.key,
            "order_no": self.order_no,
            "item": self.item,
            "method": self.method,
            "step": step,
            "status": self.status,
            **extra,
        }
        self.record(JOURNAL_KIND, data)

    def begin_create(
        self, payer_id_numbers: list[str], now: float, auth_code: str | None = None
    ) -> Callable[[], Order]:
        """Journal ``create`` then return the work that checks the hub and creates the order.

        The work raises :class:`PaymentNotStarted` *before* creating anything
        when the hub does not answer the reachability check; a
        :class:`HubUnavailable` from the create itself means the outcome is
        unknown (the journal keeps the key for start-up recovery).
        """
        if self.started_at is not None:
            raise RuntimeError("an order is created once; start a new PaymentOrder to retry")
        self.started_at = now
        self.last_query_at = now
        self._journal("create", payers=self.payer_count)
        payments, key, item, method = self.payments, self.key, self.item, self.method
        payers, identity = list(payer_id_numbers), self.identity
        if identity is None:
            raise RuntimeError("an order is made for the person whose card was read")

        def work() -> Order:
            try:
                payments.check_reachable()
            except HubUnavailable as exc:
                raise PaymentNotStarted(str(exc)) from exc
            return payments.create(
                key=key,
                item=item,
                identity=identity,
                payer_id_numbers=payers,
                method=method,
                auth_code=auth_code,
            )

        return work

    def poll_due(self, now: float) -> bool:
        """True when the order is open, known and the next query is due (every 3 s)."""
        return (
            self.order_no is not None
            and not self.final
            and now - self.last_query_at >= POLL_INTERVAL_S
        )

    def over_limit(self, now: float) -> bool:
        """True once the provider's time is up (micropay ~45 s): reverse/close then."""
        return self.started_at is not None and now - self.started_at >= self.limit_s

    def _known(self) -> str:
        if self.order_no is None:
            raise RuntimeError("the order has no number yet: apply the create's answer first")
        return self.order_no

    def begin_query(self, now: float) -> Callable[[], Order]:
        order_no = self._known()
        self.last_query_at = now
        self._journal("query")
        payments = self.payments
        return lambda: payments.order(order_no)

    def begin_cancel(self, now: float) -> Callable[[], Order]:
        """Journal ``cancel`` and return the work that asks the hub to cancel/reverse."""
        order_no = self._known()
        self.last_query_at = now
        self.cancel_sent = True
        self._journal("cancel")
        payments = self.payments
        return lambda: payments.cancel(order_no)

    def begin_sandbox_pay(self) -> Callable[[], SandboxPayment]:
        """Demo: the simulated phone pays the QR (the next query sees PAID)."""
        order_no = self._known()
        self._journal("sandbox_pay")
        payments = self.payments
        return lambda: payments.sandbox_pay(order_no)

    def apply(self, order: Order) -> None:
        """Take the hub's answer about the order (UI thread) and journal the state reached."""
        self.view = order
        self.order_no = order.order_no or self.order_no
        self.status = order.status
        self._journal("state", final=self.final)

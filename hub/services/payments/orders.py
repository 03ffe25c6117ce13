"""The order rows: every change of an order is one short transaction that
updates the row and appends a journal event (``svc_pay_events``).

Each method takes the caller's latest copy of the row and returns the new one,
so the state machine never reloads an order it already holds.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from hub.services.clock import Clock, db_time
from hub.services.errors import NotFound
from hub.services.payments.models import PaymentEventRow, PaymentOrderRow
from hub.services.payments.views import FINAL_STATUSES
from protocol.i18n import N_


class OrderStore:
    """Reads and writes payment orders and their journal."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        clock: Clock,
        on_paid: Callable[[Session, PaymentOrderRow], None] | None = None,
    ) -> None:
        """``on_paid`` runs inside the transaction that makes an order PAID (the
        缴费凭证 for 补打 is recorded exactly when the payment is)."""
        self._factory = factory
        self._clock = clock
        self._on_paid = on_paid

    def load(self, order_no: str) -> PaymentOrderRow:
        """The order, or :class:`NotFound`."""
        with self._factory() as s:
            row = s.get(PaymentOrderRow, order_no)
            if row is None:
                raise NotFound(N_("未找到该订单"))
            return row

    def event(self, s: Session, order_no: str, event: str, detail: str = "") -> None:
        """Append a journal event inside the caller's transaction."""
        s.add(
            PaymentEventRow(
                order_no=order_no, at=db_time(self._clock.now()), event=event, detail=detail
            )
        )

    def set(
        self,
        row: PaymentOrderRow,
        status: str,
        *,
        event: str = "",
        error: str | None = None,
        qr: str | None = None,
    ) -> PaymentOrderRow:
        """Record a non-final status; a poll that changes nothing writes nothing."""
        if (
            row.status == status
            and not event
            and error in (None, row.last_error)
            and qr in (None, row.qr_payload)
        ):
            return row
        with self._factory() as s, s.begin():
            order = s.get_one(PaymentOrderRow, row.order_no)
            changed = order.status != status
            order.status = status
            order.updated_at = db_time(self._clock.now())
            if error is not None:
                order.last_error = error
            if qr is not None:
                order.qr_payload = qr
            if changed or event:
                self.event(s, order.order_no, event or status.lower(), error or "")
        return order

    def schedule_refund(self, row: PaymentOrderRow, amount: int) -> PaymentOrderRow:
        """Owe ``amount`` fen back (status REFUNDING) under a stable refund number."""
        with self._factory() as s, s.begin():
            order = s.get_one(PaymentOrderRow, row.order_no)
            order.status = "REFUNDING"
            order.refund_due_fen = amount
            # Stable across retries: the provider dedupes refunds by this number.
            order.refund_no = f"{order.order_no}R{order.refunded_fen}"
            order.paid_at = order.paid_at or db_time(self._clock.now())
            order.updated_at = db_time(self._clock.now())
            self.event(s, order.order_no, "refund_scheduled", str(amount))
        return order

    def finish(
        self,
        row: PaymentOrderRow,
        status: str,
        *,
        error: str | None = None,
        refunded: int | None = None,
        clear_due: bool = False,
    ) -> PaymentOrderRow:
        """Record a final status (and what was refunded)."""
        assert status in FINAL_STATUSES
        with self._factory() as s, s.begin():
            order = s.get_one(PaymentOrderRow, row.order_no)
            order.status = status
            now = db_time(self._clock.now())
            order.updated_at = now
            order.finished_at = now
            if status == "PAID" or (refunded and order.paid_at is None):
                # A reversal that refunded money we never saw arrive: paid, then returned.
                order.paid_at = order.paid_at or now
            if error is not None:
                order.last_error = error
            if refunded is not None:
                order.refunded_fen = refunded
            if clear_due:
                order.refund_due_fen = 0
            self.event(s, order.order_no, status.lower(), error or "")
            if status == "PAID" and self._on_paid is not None:
                self._on_paid(s, order)
        return order

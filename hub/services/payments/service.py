"""Payment orders: create, follow, cancel, sweep and reconcile.

The rules come from specs/payments-and-privacy.md §Payments:
- an idempotency key per order; the same key with the same body replays the
  first response, with another body it is a 409;
- the order row (the journal) is committed BEFORE the provider is called;
- an unknown outcome is queried, never guessed; micropay is queried until
  45 s, then reversed; a native QR is closed after it expires (the provider
  refuses to close orders younger than 5 minutes, so a cancel may wait);
- a customer who pays between the last query and the cancel is refunded by
  the reversal (micropay) or by an explicit refund (native);
- :meth:`PaymentService.sweep` brings every stuck order to a final state.

Every provider operation is idempotent on our numbers, so two hub processes
(or a request and the sweep) stepping the same order at once is safe; within
a process a per-order lock avoids the wasted calls.
"""

from __future__ import annotations

import secrets
import threading
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hub.services import idempotency
from hub.services.catalogue import Catalogue, Payable
from hub.services.clock import CST, Clock, db_time, from_db, local_date
from hub.services.documents import record_document
from hub.services.errors import BadRequest, Conflict, NotFound
from hub.services.identity import mask_id, mask_name
from hub.services.payments.models import PaymentOrderRow
from hub.services.payments.orders import OrderStore
from hub.services.payments.provider import (
    ChannelRules,
    Method,
    PaymentProvider,
    ProviderRejected,
    ProviderUnavailable,
    TradeEvent,
    TradeNotFound,
    TradeResult,
    TradeState,
)
from hub.services.payments.views import FINAL_STATUSES, OrderOut, QuoteOut, QuotePerson, order_view
from hub.services.provider import CitizenProvider, Person
from protocol.i18n import N_

MICROPAY_WINDOW = timedelta(seconds=45)  # WeChat: stop querying within about 45 s, then reverse
NATIVE_WINDOW = timedelta(minutes=5)  # the QR's life; also the provider's minimum close age
MAX_PAYERS = 8


@dataclass(frozen=True)
class OrderRequest:
    idempotency_key: str
    item: str
    payer_id_numbers: list[str]
    method: Method
    auth_code: str | None
    # Who asks: the order belongs to this terminal and person session (issue 13).
    terminal_id: int | None = None
    person_session_id: int | None = None


@dataclass(frozen=True)
class Mismatch:
    """A reconciliation finding: a bill row or local record without its twin."""

    order_no: str
    kind: str  # pay | refund
    local_fen: int
    bill_fen: int


class PaymentService:
    """Owns the payment orders; uses its own short transactions (not the request's)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        provider: PaymentProvider,
        clock: Clock,
        catalogue: Catalogue,
        citizens: CitizenProvider,
        secret: str,
    ) -> None:
        self._factory = factory
        self.provider = provider
        self._clock = clock
        self._catalogue = catalogue
        self._citizens = citizens
        self._secret = secret
        self._locks = [threading.Lock() for _ in range(64)]
        self._orders = OrderStore(factory, clock, on_paid=self._record_receipt)

    # --- quotes and orders ---

    def payable(self, code: str) -> Payable:
        found = self._catalogue.payable(code)
        if found is None:
            raise NotFound(N_("未找到该缴费项目"))
        return found

    def quote(self, code: str, id_numbers: list[str]) -> QuoteOut:
        """What each person owes for payable ``code``; unknown people are a 404."""
        payable = self.payable(code)
        open_refs = self._open_order_refs()
        persons = []
        for person in self._people(id_numbers):
            paid = self._already_paid(person, payable.year)
            busy = person.person_ref in open_refs
            text = N_("已缴费") if paid else N_("有未完成的缴费订单") if busy else N_("待缴费")
            persons.append(
                QuotePerson(
                    person_ref=person.person_ref,
                    name_masked=mask_name(person.name),
                    id_masked=mask_id(person.id_number),
                    amount_fen=0 if paid else payable.amount_per_person_fen,
                    payable=not paid and not busy,
                    status_text=text,
                )
            )
        return QuoteOut(
            item=payable.code,
            item_name=payable.name,
            year=payable.year,
            persons=persons,
            total_fen=sum(p.amount_fen for p in persons if p.payable),
        )

    def create_order(self, req: OrderRequest) -> dict[str, Any]:
        """Create (or replay) an order and start the trade; returns the JSON response."""
        body = {
            "item": req.item,
            "payers": sorted(req.payer_id_numbers),
            "method": req.method,
            "auth_code": req.auth_code,
        }
        digest = idempotency.fingerprint(body, self._secret)
        replayed = self._replay(req.idempotency_key, digest)
        if replayed is not None:
            return replayed
        if (req.method == "micropay") != (req.auth_code is not None):
            raise BadRequest(N_("付款码支付需要扫描付款码；扫码支付不需要付款码"))
        payable = self.payable(req.item)
        people = self._people(req.payer_id_numbers)
        open_refs = self._open_order_refs()
        for person in people:
            if self._already_paid(person, payable.year):
                raise Conflict(
                    f"{mask_name(person.name)}已缴纳{payable.year}年度费用，无需重复缴费"
                )
            if person.person_ref in open_refs:
                # The open order may be this very request, retried while the first
                # attempt is in flight: answer as a replay, not as a clash.
                replayed = self._replay(req.idempotency_key, digest)
                if replayed is not None:
                    return replayed
                raise Conflict(f"{mask_name(person.name)}有未完成的缴费订单，请稍后再试")
        fen = payable.amount_per_person_fen
        now = self._clock.now()
        order_no = "HM" + now.astimezone(CST).strftime("%Y%m%d%H%M%S") + secrets.token_hex(4)
        window = self._window(req.method)
        try:
            with self._factory() as s, s.begin():
                s.add(
                    PaymentOrderRow(
                        order_no=order_no,
                        idempotency_key=req.idempotency_key,
                        request_hash=digest,
                        item=payable.code,
                        payers=[
                            {
                                "person_ref": p.person_ref,
                                "name_masked": mask_name(p.name),
                                "id_masked": mask_id(p.id_number),
                                "amount_fen": fen,
                            }
                            for p in people
                        ],
                        amount_fen=fen * len(people),
                        method=req.method,
                        status="CREATED",
                        cancel_requested=False,
                        refunded_fen=0,
                        refund_due_fen=0,
                        created_at=db_time(now),
                        deadline_at=db_time(now + window),
                        updated_at=db_time(now),
                        terminal_id=req.terminal_id,
                        person_session_id=req.person_session_id,
                    )
                )
                s.flush()
                self._orders.event(s, order_no, "create", f"{req.method} {fen * len(people)}")
        except IntegrityError:
            # The same key raced in from a retry: answer like a replay.
            replayed = self._replay(req.idempotency_key, digest)
            if replayed is not None:
                return replayed
            raise
        with self._lock(order_no):
            row = self._orders.load(order_no)
            try:
                result = self.provider.create(
                    order_no, fen * len(people), req.method, payable.name, req.auth_code
                )
            except ProviderRejected as exc:
                row = self._orders.finish(row, "FAILED", error=exc.message)
            except ProviderUnavailable as exc:
                row = self._orders.set(row, "UNKNOWN", event="create_unknown", error=exc.message)
            else:
                row = self._apply(row, result)
        response = self._view(row).model_dump(mode="json")
        with self._factory() as s, s.begin():
            idempotency.remember(
                s, "payments", req.idempotency_key, digest, 201, response, self._clock.now()
            )
        return response

    def find_by_key(self, idempotency_key: str, *, terminal_id: int | None = None) -> OrderOut:
        """The order created with ``idempotency_key`` as it stands; :class:`NotFound` if
        none, or (with ``terminal_id``) if another terminal made it."""
        with self._factory() as s:
            row = s.scalars(
                select(PaymentOrderRow).where(PaymentOrderRow.idempotency_key == idempotency_key)
            ).first()
        if row is None or (terminal_id is not None and row.terminal_id != terminal_id):
            raise NotFound(N_("未找到该订单"))
        return self._view(row)

    def check_owner(self, order_no: str, terminal_id: int) -> None:
        """:class:`NotFound` unless ``terminal_id`` made the order: another terminal's
        order is answered exactly like one that does not exist."""
        with self._factory() as s:
            owner = s.scalar(
                select(PaymentOrderRow.terminal_id).where(PaymentOrderRow.order_no == order_no)
            )
        if owner is None or owner != terminal_id:
            raise NotFound(N_("未找到该订单"))

    def get_order(self, order_no: str) -> OrderOut:
        """The order after one step towards a final state (query the provider if needed)."""
        return self._view(self.step(order_no))

    def cancel(self, order_no: str) -> OrderOut:
        """Ask for the order to end unpaid. A paid order cannot be cancelled (409)."""
        with self._factory() as s, s.begin():
            row = s.get(PaymentOrderRow, order_no)
            if row is None:
                raise NotFound(N_("未找到该订单"))
            if row.status == "PAID":
                raise Conflict(N_("订单已支付成功，不能取消"))
            if row.status not in FINAL_STATUSES and not row.cancel_requested:
                row.cancel_requested = True
                self._orders.event(s, order_no, "cancel_requested")
        return self._view(self.step(order_no))

    def sweep(self, limit: int = 500) -> int:
        """Step every unfinished order once (oldest first); return how many were stepped.

        Safe to run from a background thread or several processes at once.
        """
        with self._factory() as s:
            numbers = list(
                s.scalars(
                    select(PaymentOrderRow.order_no)
                    .where(PaymentOrderRow.status.not_in(FINAL_STATUSES))
                    .order_by(PaymentOrderRow.created_at)
                    .limit(limit)
                )
            )
        for order_no in numbers:
            self.step(order_no)
        return len(numbers)

    def reconcile(self, day: date) -> list[Mismatch]:
        """Compare the provider's bill of ``day`` with our orders (对账); [] when they agree."""
        bill: dict[tuple[str, str], int] = {}
        for line in self.provider.daily_bill(day):
            key = (line.order_no, line.kind)
            bill[key] = bill.get(key, 0) + line.amount_fen
        local: dict[tuple[str, str], int] = {}
        with self._factory() as s:
            for order in s.scalars(select(PaymentOrderRow)):
                paid_day = local_date(order.paid_at) if order.paid_at else None
                if paid_day == day:
                    local[(order.order_no, "pay")] = order.amount_fen
                if order.refunded_fen and local_date(order.updated_at) == day:
                    local[(order.order_no, "refund")] = order.refunded_fen
        return [
            Mismatch(key[0], key[1], local.get(key, 0), bill.get(key, 0))
            for key in sorted(set(bill) | set(local))
            if local.get(key, 0) != bill.get(key, 0)
        ]

    def apply_event(self, event: TradeEvent) -> PaymentOrderRow:
        """Take a verified notification's news about a trade, in any order with polling.

        A final order ignores it (duplicates, late arrivals); an order being
        cancelled or refunded takes its next step instead (a payment that lands
        after the cancel is reversed or refunded there). Raises :class:`NotFound`
        for an order we do not have, :class:`Conflict` when the amount differs.
        """
        with self._lock(event.order_no):
            row = self._orders.load(event.order_no)
            if row.status in FINAL_STATUSES:
                return row
            if event.amount_fen != row.amount_fen:
                raise Conflict(N_("支付通知金额与订单不符"))
            with self._factory() as s, s.begin():  # journaled, not shown: not an error
                self._orders.event(s, row.order_no, "notified", str(event.result.state))
            if row.status not in ("CANCELLING", "REFUNDING") and not row.cancel_requested:
                return self._apply(row, event.result)
        return self.step(event.order_no)

    # --- the state machine: each transition takes and returns the latest row ---

    def step(self, order_no: str) -> PaymentOrderRow:
        """Move one order one step towards a final state; return it. 404 if unknown."""
        with self._lock(order_no):
            row = self._orders.load(order_no)
            if row.status in FINAL_STATUSES:
                return row
            if row.status == "REFUNDING":
                return self._refund(row)
            if row.status == "CANCELLING":
                return self._cancel(row)
            try:
                result = self.provider.query(order_no)
            except TradeNotFound:
                # The create has not reached the provider (yet): reverse/close it anyway,
                # so a create still in flight cannot charge the customer later.
                return self._cancel(self._orders.set(row, "CANCELLING", event="not_found"))
            except ProviderUnavailable as exc:
                row = self._orders.set(row, "UNKNOWN", error=exc.message)
                if self._expired(row) or row.cancel_requested:
                    row = self._orders.set(row, "CANCELLING", event="cancel_after_unknown")
                    return self._cancel(row)
                return row
            return self._apply(row, result)

    def _apply(self, row: PaymentOrderRow, result: TradeResult) -> PaymentOrderRow:
        state = result.state
        if state == TradeState.SUCCESS:
            if row.cancel_requested:
                return self._cancel(self._orders.set(row, "CANCELLING", event="paid_after_cancel"))
            return self._paid(row)
        if state in (TradeState.NOTPAY, TradeState.USERPAYING):
            if row.cancel_requested or self._expired(row):
                event = "cancel" if row.cancel_requested else "expired"
                return self._cancel(self._orders.set(row, "CANCELLING", event=event))
            return self._orders.set(row, "PAYING", qr=result.qr_payload)
        if state == TradeState.CLOSED:
            return self._orders.finish(row, "CLOSED")
        if state == TradeState.REVOKED:
            return self._orders.finish(row, "REVOKED", refunded=result.refunded_fen)
        return self._orders.finish(row, "FAILED", error=N_("支付未成功"))

    def _cancel(self, row: PaymentOrderRow) -> PaymentOrderRow:
        try:
            result = self.provider.cancel(row.order_no)
        except TradeNotFound:
            return self._orders.finish(row, "CLOSED")
        except (ProviderRejected, ProviderUnavailable) as exc:
            # Rejected: e.g. a native order too young to close; the sweep retries.
            return self._orders.set(row, "CANCELLING", error=exc.message)
        if result.state == TradeState.SUCCESS:
            # A paid native order cannot be closed: give the money back.
            return self._refund(
                self._orders.schedule_refund(row, row.amount_fen - row.refunded_fen)
            )
        if result.state == TradeState.REVOKED:
            return self._orders.finish(row, "REVOKED", refunded=result.refunded_fen)
        if result.state == TradeState.CLOSED:
            return self._orders.finish(row, "CLOSED")
        if result.state == TradeState.PAYERROR:
            return self._orders.finish(row, "FAILED", error=N_("支付未成功"))
        return row

    def _paid(self, row: PaymentOrderRow) -> PaymentOrderRow:
        """Record each payer's premium; a share someone else already paid is refunded."""
        payable = self._catalogue.payable(row.item)
        year = payable.year if payable else 0
        paid_on = local_date(self._clock.now())
        owed = 0
        for payer in row.payers:
            if not self._citizens.record_medical_payment(
                payer["person_ref"], year, payer["amount_fen"], row.order_no, paid_on
            ):
                owed += payer["amount_fen"]
        if owed:
            return self._refund(self._orders.schedule_refund(row, owed))
        return self._orders.finish(row, "PAID")

    def _refund(self, row: PaymentOrderRow) -> PaymentOrderRow:
        assert row.refund_no is not None
        try:
            self.provider.refund(row.order_no, row.refund_no, row.refund_due_fen)
        except (ProviderUnavailable, ProviderRejected) as exc:
            return self._orders.set(row, "REFUNDING", error=exc.message)
        refunded = row.refunded_fen + row.refund_due_fen
        final = "REFUNDED" if refunded >= row.amount_fen else "PAID"
        return self._orders.finish(row, final, refunded=refunded, clear_due=True)

    # --- helpers ---

    def _window(self, method: Method) -> timedelta:
        """How long an order of ``method`` is followed before it is cancelled: the
        channel's own rules (WeChat Pay: reverse unpaid codepay after ~30 s)."""
        rules: ChannelRules | None = getattr(self.provider, "rules", None)
        if rules is None:  # the sandbox: the module's windows (tests shorten them)
            return MICROPAY_WINDOW if method == "micropay" else NATIVE_WINDOW
        return rules.micropay_window if method == "micropay" else rules.native_window

    def _expired(self, row: PaymentOrderRow) -> bool:
        return self._clock.now() >= from_db(row.deadline_at)

    def _lock(self, order_no: str) -> threading.Lock:
        return self._locks[zlib.crc32(order_no.encode()) % len(self._locks)]

    def _people(self, id_numbers: list[str]) -> list[Person]:
        if not 1 <= len(id_numbers) <= MAX_PAYERS:
            raise BadRequest(f"每笔订单可为1至{MAX_PAYERS}人缴费")
        people: list[Person] = []
        for number in dict.fromkeys(id_numbers):  # drop repeats, keep order
            person = self._citizens.find_person(id_number=number)
            if person is None:
                raise NotFound(f"未查询到{mask_id(number)}的参保信息，请核对身份证号码")
            people.append(person)
        return people

    def _already_paid(self, person: Person, year: int) -> bool:
        return any(
            m.year == year and m.status == "paid" for m in self._citizens.medical_years(person)
        )

    def _open_order_refs(self) -> set[str]:
        with self._factory() as s:
            rows = s.scalars(
                select(PaymentOrderRow.payers).where(PaymentOrderRow.status.not_in(FINAL_STATUSES))
            )
            return {p["person_ref"] for payers in rows for p in payers}

    def _replay(self, key: str, digest: str) -> dict[str, Any] | None:
        with self._factory() as s:
            stored = idempotency.replay(s, "payments", key, digest)
            if stored is not None:
                response: dict[str, Any] = stored[1]
                return response
            order = s.scalars(
                select(PaymentOrderRow).where(PaymentOrderRow.idempotency_key == key)
            ).first()
            if order is None:
                return None
            if order.request_hash != digest:
                raise Conflict(N_("该请求编号已用于其他内容的请求，请重新发起"))
        # The first request is still in flight (or died before answering): current state.
        return self._view(order).model_dump(mode="json")

    def _record_receipt(self, s: Session, row: PaymentOrderRow) -> None:
        """Keep the 缴费凭证 for 补打, for every payer it names (hub/services/documents.py)."""
        view = self._view(row)
        assert view.printable is not None  # a PAID order always has its receipt
        record_document(
            s,
            person_refs=[p["person_ref"] for p in row.payers],
            kind="payment_receipt",
            ref=row.order_no,
            title=view.printable.title,
            detail=view.item_name,
            printable=view.printable,
            issued_at=from_db(row.paid_at or row.updated_at),
        )

    def _view(self, row: PaymentOrderRow) -> OrderOut:
        payable = self._catalogue.payable(row.item)
        return order_view(row, payable.name if payable else row.item)

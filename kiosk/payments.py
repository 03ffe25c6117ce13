"""The terminal's side of a payment: create, follow, cancel, recover.

Rules (specs/payments-and-privacy.md §Payments, §Journal):
- every step is journaled BEFORE it happens (``payment`` records carry the
  idempotency key, the order number once known, the step and the state —
  never an ID number or a payment code);
- one idempotency key per order; a retry after a refusal is a new order
  with a new key ("a retry needs a new out_trade_no");
- no payment starts while the hub is unreachable: :meth:`PaymentsApi.check_reachable`
  runs first and the person is told plainly;
- a payment code (micropay) is queried every 3–5 s and, if still unpaid
  after about 45 s, reversed; a merchant QR (native) is closed when the
  person gives up or its time runs out;
- at start-up :func:`recover_unfinished` brings every order the journal
  left unfinished to a final state by asking the hub (which queries the
  provider) and cancelling what is still open; an order whose create never
  got an answer is found by its idempotency key first.

The hub does the provider protocol (hub/services/payments/service.py);
``GET /payments/orders/{no}`` steps an order one step towards a final state.
"""

from __future__ import annotations

import base64
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kiosk.services import HubError, HubUnavailable

log = logging.getLogger(__name__)

FINAL_STATUSES = frozenset({"PAID", "CLOSED", "REVOKED", "REFUNDED", "FAILED"})
# Recovery's verdict on an order the hub never received: nothing exists to charge.
NOT_CREATED = "NOT_CREATED"
POLL_INTERVAL_S = 3.0  # WeChat micropay: query every 3–5 s
MICROPAY_LIMIT_S = 45.0  # stop querying within about 45 s, then reverse
NATIVE_LIMIT_S = 300.0  # the hub's QR life (NATIVE_WINDOW)
JOURNAL_KIND = "payment"

Record = Callable[[str, dict[str, Any]], None]


class PaymentNotStarted(HubUnavailable):
    """The hub did not answer before the order was sent: nothing was created or charged."""


def new_idempotency_key() -> str:
    """24 base32 characters (120 random bits). Letters and 2–7 only, so the
    journal's personal-data guard (16+ digit runs) can never mistake it."""
    return "pay-" + base64.b32encode(secrets.token_bytes(15)).decode("ascii").lower()


class PaymentsApi:
    """The hub's payment routes, by purpose. Every call blocks (run it on a task)."""

    def __init__(self, gateway: Any) -> None:
        self.gateway = gateway

    def check_reachable(self) -> None:
        """Raise :class:`~kiosk.services.HubUnavailable` unless the hub answers now."""
        self.gateway.get("/catalogue/topics")

    def quote(self, id_numbers: list[str], item: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"id_number": id_numbers[0], "family_id_numbers": id_numbers[1:]}
        if item:
            body["item"] = item
        result: dict[str, Any] = self.gateway.post("/payments/quote", body)
        return result

    def create(
        self,
        *,
        key: str,
        item: str,
        payer_id_numbers: list[str],
        method: str,
        auth_code: str | None,
    ) -> dict[str, Any]:
        body = {
            "idempotency_key": key,
            "item": item,
            "payer_id_numbers": payer_id_numbers,
            "method": method,
            "auth_code": auth_code,
        }
        result: dict[str, Any] = self.gateway.post("/payments/orders", body)
        return result

    def lookup(self, key: str) -> dict[str, Any]:
        """The order the hub created with idempotency key ``key``; :class:`HubError`
        404 if the create never reached it. A read: the order is not stepped."""
        result: dict[str, Any] = self.gateway.post(
            "/payments/orders/lookup", {"idempotency_key": key}
        )
        return result

    def order(self, order_no: str) -> dict[str, Any]:
        result: dict[str, Any] = self.gateway.get(f"/payments/orders/{order_no}")
        return result

    def cancel(self, order_no: str) -> dict[str, Any]:
        result: dict[str, Any] = self.gateway.post(f"/payments/orders/{order_no}/cancel", {})
        return result

    def sandbox_pay(self, order_no: str) -> dict[str, Any]:
        """Demo only: the hub's sandbox provider plays the customer's phone."""
        result: dict[str, Any] = self.gateway.post(f"/payments/sandbox/pay/{order_no}", {})
        return result


@dataclass
class PaymentFlow:
    """One order at the terminal. Methods named ``begin_*`` run on the UI thread:
    they journal the step and return the blocking work for a task; the task's
    result goes to :meth:`apply` (UI thread again)."""

    api: PaymentsApi
    record: Record
    item: str
    payer_count: int
    method: str  # native | micropay
    key: str = field(default_factory=new_idempotency_key)
    order_no: str | None = None
    status: str = "NEW"
    view: dict[str, Any] = field(default_factory=dict)
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
    ) -> Callable[[], dict[str, Any]]:
        """Journal ``create`` then return the work that checks the hub and creates the order.

        The work raises :class:`PaymentNotStarted` *before* creating anything
        when the hub does not answer the reachability check; a
        :class:`HubUnavailable` from the create itself means the outcome is
        unknown (the journal keeps the key for :func:`recover_unfinished`).
        """
        if self.started_at is not None:
            raise RuntimeError("an order is created once; start a new PaymentFlow to retry")
        self.started_at = now
        self.last_query_at = now
        self._journal("create", payers=self.payer_count)
        api, key, item, method = self.api, self.key, self.item, self.method
        payers = list(payer_id_numbers)

        def work() -> dict[str, Any]:
            try:
                api.check_reachable()
            except HubUnavailable as exc:
                raise PaymentNotStarted(str(exc)) from exc
            return api.create(
                key=key, item=item, payer_id_numbers=payers, method=method, auth_code=auth_code
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

    def begin_query(self, now: float) -> Callable[[], dict[str, Any]]:
        assert self.order_no is not None
        self.last_query_at = now
        self._journal("query")
        api, order_no = self.api, self.order_no
        return lambda: api.order(order_no)

    def begin_cancel(self, now: float) -> Callable[[], dict[str, Any]]:
        """Journal ``cancel`` and return the work that asks the hub to cancel/reverse."""
        assert self.order_no is not None
        self.last_query_at = now
        self.cancel_sent = True
        self._journal("cancel")
        api, order_no = self.api, self.order_no
        return lambda: api.cancel(order_no)

    def begin_sandbox_pay(self) -> Callable[[], dict[str, Any]]:
        """Demo: the simulated phone pays the QR (the next query sees PAID)."""
        assert self.order_no is not None
        self._journal("sandbox_pay")
        api, order_no = self.api, self.order_no
        return lambda: api.sandbox_pay(order_no)

    def apply(self, view: Mapping[str, Any]) -> None:
        """Take the hub's order view (UI thread) and journal the state reached."""
        self.view = dict(view)
        self.order_no = str(view.get("order_no") or self.order_no or "") or None
        self.status = str(view.get("status", self.status))
        self._journal("state", final=self.final)


# --- start-up recovery ---------------------------------------------------------------------


@dataclass(frozen=True)
class Recovered:
    """What recovery did for one journaled order."""

    key: str
    order_no: str | None
    status: str  # the final status, or the last one seen if the hub could not finish it
    final: bool
    note: str = ""


def _entries(journal_records: Iterable[Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    for rec in journal_records:
        if isinstance(rec, tuple):
            yield str(rec[0]), rec[1]
        else:  # kiosk.journal.JournalRecord
            yield str(rec.kind), rec.data


def unfinished_orders(journal_records: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """The last journaled step of every order that never reached a final state, by key."""
    last: dict[str, dict[str, Any]] = {}
    for kind, data in _entries(journal_records):
        if kind != JOURNAL_KIND or "key" not in data:
            continue
        merged = {
            **last.get(str(data["key"]), {}),
            **{k: v for k, v in data.items() if v is not None},
        }
        last[str(data["key"])] = merged
    return {
        key: data
        for key, data in last.items()
        if str(data.get("status")) not in FINAL_STATUSES and not data.get("recovered_final", False)
    }


def recover_unfinished(
    gateway: Any,
    journal_records: Iterable[Any],
    *,
    record: Record | None = None,
    attempts: int = 4,
    wait_s: float = 3.0,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Recovered]:
    """Bring every order the journal left unfinished to a final state.

    For each order: if its create never got an answer (no number journaled),
    look it up at the hub by its idempotency key — a 404 means the hub never
    made it, so nothing can be charged (status ``NOT_CREATED``, final). With a
    number: query it at the hub (which queries the provider and moves it on);
    if still open, cancel (micropay reverses, refunding a payment that slipped
    in; native closes or refunds); then query up to ``attempts`` times,
    ``wait_s`` apart. Each step is journaled first through ``record`` (kind
    ``payment``, ``step`` ``recover_*``).

    ``final=False`` means the hub could not finish it yet (e.g. a QR order the
    provider will not close before 5 minutes; the hub's sweep ends it). Raises
    :class:`HubUnavailable` when the hub cannot be reached at all (call again
    later; nothing was changed).
    """
    api = PaymentsApi(gateway)
    out: list[Recovered] = []
    pending = unfinished_orders(journal_records)
    if pending:
        api.check_reachable()

    def journal(key: str, order_no: str | None, step: str, status: str, **extra: Any) -> None:
        if record is not None:
            data = {"key": key, "order_no": order_no, "step": step, "status": status, **extra}
            record(JOURNAL_KIND, data)

    for key, data in pending.items():
        order_no = data.get("order_no")
        if not order_no:
            # The create was journaled but its answer never came (crash, network).
            journal(key, None, "recover_lookup", str(data.get("status", "NEW")))
            try:
                order_no = str(api.lookup(key)["order_no"])
            except HubUnavailable:
                journal(key, None, "recover_interrupted", str(data.get("status", "NEW")))
                out.append(
                    Recovered(key, None, str(data.get("status", "NEW")), False, "hub unreachable")
                )
                continue
            except HubError as exc:
                if exc.status != 404:
                    raise
                journal(key, None, "recover_done", NOT_CREATED, recovered_final=True)
                out.append(Recovered(key, None, NOT_CREATED, True, "never reached the hub"))
                continue
            journal(key, order_no, "recover_found", "UNKNOWN")
        status = str(data.get("status", "UNKNOWN"))
        try:
            for attempt in range(attempts + 1):
                journal(key, order_no, "recover_query", status)
                status = str(api.order(order_no)["status"])
                if status in FINAL_STATUSES:
                    break
                if attempt == 0:
                    journal(key, order_no, "recover_cancel", status)
                    try:
                        status = str(api.cancel(order_no)["status"])
                    except HubError as exc:
                        if exc.status != 409:  # 409: it got paid meanwhile; the query shows it
                            raise
                    if status in FINAL_STATUSES:
                        break
                if attempt < attempts:
                    sleep(wait_s)
        except HubUnavailable:
            journal(key, order_no, "recover_interrupted", status)
            out.append(Recovered(key, order_no, status, False, "hub unreachable"))
            continue
        final = status in FINAL_STATUSES
        journal(key, order_no, "recover_done", status, recovered_final=final)
        out.append(Recovered(key, order_no, status, final))
    return out


def start_recovery(
    gateway: Any,
    journal_records: Callable[[], Iterable[Any]],
    record: Record,
    *,
    retry_s: float = 30.0,
    max_rounds: int = 10_000,
) -> Callable[[], None]:
    """Run :func:`recover_unfinished` at start-up on a thread of its own; returns ``stop``.

    The terminal calls this once the journal verified: orders a crash or a
    power cut left open are queried and ended (cancel/reverse) as soon as the
    hub answers. While the hub cannot be reached (or an order could not be
    finished for that reason) it tries again every ``retry_s`` seconds.
    """
    halt = threading.Event()

    def run() -> None:
        for _ in range(max_rounds):
            try:
                results = recover_unfinished(gateway, journal_records(), record=record)
            except HubUnavailable as exc:
                log.info("payment recovery waits for the hub: %s", exc)
            except Exception:  # supervision point: recovery must never take the kiosk down
                log.exception("payment recovery failed; trying again later")
            else:
                for r in results:
                    log.info("payment recovery: order %s %s %s", r.order_no, r.status, r.note)
                if not any(r.note == "hub unreachable" for r in results):
                    return
            if halt.wait(retry_s):
                return

    threading.Thread(target=run, name="payment-recovery", daemon=True).start()
    return halt.set

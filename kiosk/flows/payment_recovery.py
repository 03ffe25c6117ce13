"""Start-up recovery: every order the journal left unfinished reaches a final
state by asking the hub (which queries the provider) and cancelling what is
still open; an order whose create never got an answer is found by its
idempotency key first (specs/payments-and-privacy.md §Payments, DESIGN §6).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kiosk.flows.payment_order import JOURNAL_KIND, Record
from kiosk.flows.payments import FINAL_STATUSES, Payments
from kiosk.hub_client import HubError, HubUnavailable

log = logging.getLogger(__name__)

# Recovery's verdict on an order the hub never received: nothing exists to charge.
NOT_CREATED = "NOT_CREATED"


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
    payments: Payments,
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
    pending = unfinished_orders(journal_records)
    if pending:
        payments.check_reachable()
    recovery = _Recovery(payments, record, attempts, wait_s, sleep)
    return [recovery.finish(key, data) for key, data in pending.items()]


@dataclass(frozen=True)
class _Recovery:
    """One recovery run: each order found (by key if need be), then ended."""

    payments: Payments
    record: Record | None
    attempts: int
    wait_s: float
    sleep: Callable[[float], None]

    def journal(self, key: str, order_no: str | None, step: str, status: str, **extra: Any) -> None:
        if self.record is not None:
            data = {"key": key, "order_no": order_no, "step": step, "status": status, **extra}
            self.record(JOURNAL_KIND, data)

    def finish(self, key: str, data: Mapping[str, Any]) -> Recovered:
        order_no = data.get("order_no")
        if not order_no:
            # The create was journaled but its answer never came (crash, network).
            found = self.find(key, str(data.get("status", "NEW")))
            if isinstance(found, Recovered):
                return found
            order_no = found
        status, answered = self.end(key, order_no, str(data.get("status", "UNKNOWN")))
        if not answered:
            self.journal(key, order_no, "recover_interrupted", status)
            return Recovered(key, order_no, status, False, "hub unreachable")
        final = status in FINAL_STATUSES
        self.journal(key, order_no, "recover_done", status, recovered_final=final)
        return Recovered(key, order_no, status, final)

    def find(self, key: str, status: str) -> str | Recovered:
        """The number of the order the hub made with ``key``, or what recovery concluded."""
        self.journal(key, None, "recover_lookup", status)
        try:
            order_no = self.payments.lookup(key).order_no
        except HubUnavailable:
            self.journal(key, None, "recover_interrupted", status)
            return Recovered(key, None, status, False, "hub unreachable")
        except HubError as exc:
            if exc.status != 404:
                raise
            self.journal(key, None, "recover_done", NOT_CREATED, recovered_final=True)
            return Recovered(key, None, NOT_CREATED, True, "never reached the hub")
        self.journal(key, order_no, "recover_found", "UNKNOWN")
        return order_no

    def end(self, key: str, order_no: str, status: str) -> tuple[str, bool]:
        """Query, cancel once if still open, and query again. Returns the status
        reached (the last one seen) and whether the hub answered throughout."""
        try:
            for attempt in range(self.attempts + 1):
                self.journal(key, order_no, "recover_query", status)
                status = self.payments.order(order_no).status
                if status in FINAL_STATUSES:
                    break
                if attempt == 0:
                    self.journal(key, order_no, "recover_cancel", status)
                    try:
                        status = self.payments.cancel(order_no).status
                    except HubError as exc:
                        if exc.status != 409:  # 409: it got paid meanwhile; the query shows it
                            raise
                    if status in FINAL_STATUSES:
                        break
                if attempt < self.attempts:
                    self.sleep(self.wait_s)
        except HubUnavailable:
            return status, False
        return status, True


def start_recovery(
    payments: Payments,
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
                results = recover_unfinished(payments, journal_records(), record=record)
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

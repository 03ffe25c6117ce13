"""Daily reconciliation (对账): each day's orders against the channel's bill.

WeChat Pay's trade bill of day D is ready from 10:00 the next day (Alipay's
from 09:00), so from :data:`RUN_AFTER` (10:30 China Standard Time) the hub
reconciles every day of the last week that has no record yet; a day whose
bill cannot be fetched is retried at the next round. Each finding (a row on
one side only, or another amount) is recorded with the run and raised as an
alert (``svc_pay_alerts``); a day that agrees is recorded with no findings.
"""

from __future__ import annotations

import logging
import threading
from datetime import date, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hub.services.clock import CST, Clock, db_time
from hub.services.payments.alerts import PaymentAlerts
from hub.services.payments.models import ReconciliationRow
from hub.services.payments.provider import ProviderError
from hub.services.payments.service import Mismatch, PaymentService

log = logging.getLogger(__name__)

RUN_AFTER = time(10, 30)
LOOKBACK_DAYS = 7


def finding_kind(m: Mismatch) -> str:
    if m.local_fen == 0:
        return "reconcile_missing_local"
    if m.bill_fen == 0:
        return "reconcile_missing_bill"
    return "reconcile_amount"


class DailyReconciler:
    """Reconciles the days that are due (:meth:`run_due`), once per channel and day."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        service: PaymentService,
        alerts: PaymentAlerts,
        clock: Clock,
        channel: str,
    ) -> None:
        self._factory = factory
        self._service = service
        self._alerts = alerts
        self._clock = clock
        self.channel = channel

    def due_days(self) -> list[date]:
        """The days of the last week, up to the latest bill available, not yet done."""
        local = self._clock.now().astimezone(CST)
        latest = local.date() - timedelta(days=1 if local.time() >= RUN_AFTER else 2)
        days = [latest - timedelta(days=n) for n in range(LOOKBACK_DAYS - 1, -1, -1)]
        with self._factory() as s:
            done = set(
                s.scalars(
                    select(ReconciliationRow.day).where(
                        ReconciliationRow.channel == self.channel,
                        ReconciliationRow.day >= days[0],
                    )
                )
            )
        return [d for d in days if d not in done]

    def run_due(self) -> dict[date, list[Mismatch]]:
        """Reconcile every due day; the findings of the days done this round."""
        results: dict[date, list[Mismatch]] = {}
        for day in self.due_days():
            found = self.reconcile_day(day)
            if found is not None:
                results[day] = found
        return results

    def reconcile_day(self, day: date) -> list[Mismatch] | None:
        """Reconcile ``day``; its findings, or ``None`` when the bill could not be had."""
        try:
            findings = self._service.reconcile(day)
        except ProviderError as exc:
            self._alerts.raise_(self.channel, "reconcile_failed", day.isoformat(), exc.code)
            return None
        try:
            with self._factory() as s, s.begin():
                s.add(
                    ReconciliationRow(
                        channel=self.channel,
                        day=day,
                        ran_at=db_time(self._clock.now()),
                        mismatches=[
                            {
                                "order_no": m.order_no,
                                "kind": m.kind,
                                "local_fen": m.local_fen,
                                "bill_fen": m.bill_fen,
                            }
                            for m in findings
                        ],
                    )
                )
        except IntegrityError:
            return None  # another hub process did this day a moment ago
        for m in findings:
            self._alerts.raise_(
                self.channel,
                finding_kind(m),
                m.order_no,
                f"{day.isoformat()} {m.kind}: 本地{m.local_fen}分，账单{m.bill_fen}分",
            )
        log.info("reconciled %s %s: %d finding(s)", self.channel, day, len(findings))
        return findings


class ReconcilerThread:
    """Calls :meth:`DailyReconciler.run_due` every ``interval_s`` seconds until stopped."""

    def __init__(self, reconciler: DailyReconciler, interval_s: float = 900.0) -> None:
        self._reconciler = reconciler
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="payment-reconcile", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while True:
            try:
                self._reconciler.run_due()
            except Exception:  # a supervision point (log.exception): try again next round
                log.exception("reconciliation failed; retrying next round")
            if self._stop.wait(self._interval):
                return

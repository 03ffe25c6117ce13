"""The background sweep: every few seconds, step the orders nobody is polling
(a terminal that crashed or lost its network mid-payment) to a final state.

Runs in one daemon thread per hub process; several processes sweeping the same
database is safe (see :mod:`hub.services.payments.service`).
"""

from __future__ import annotations

import logging
import threading

from hub.services.payments.service import PaymentService

log = logging.getLogger(__name__)


class PaymentSweeper:
    """Calls :meth:`PaymentService.sweep` every ``interval_s`` seconds until stopped."""

    def __init__(self, service: PaymentService, interval_s: float) -> None:
        self._service = service
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sweeps = 0

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="payment-sweeper", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._service.sweep()
            except Exception:  # a supervision point (log.exception): keep sweeping
                log.exception("payment sweep failed; retrying next round")
            self.sweeps += 1

"""The terminal's A4 document printer: opened from config, its health kept
beside the other devices' (so it reaches the screens before anyone chooses
to print, the heartbeat and the console), printing blocking on a task thread.

The driver is the CUPS one (:mod:`drivers.printer.a4_cups`) or, in the demo,
the simulated one (:mod:`drivers.sim.a4_printer`); nothing here draws.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from drivers.errors import DeviceError, DeviceOffline
from drivers.printer.a4_settings import DocumentPrinterSettings
from drivers.printer.a4_status import DEVICE
from kiosk.i18n import N_
from protocol.devices import FAULT_PAPER, DeviceHealth, DeviceState, PaperState

log = logging.getLogger(__name__)
A4_DEVICE = DEVICE


def a4_available(health: DeviceHealth | None) -> tuple[bool, str]:
    """Whether the A4 printer can print now, and if not a msgid saying why; no
    reason at all when the terminal has none (the screens then do not offer it)."""
    if health is None:
        return False, ""
    if health.paper in FAULT_PAPER:
        return False, N_("A4打印机缺纸或卡纸，暂时无法打印")
    if not health.usable or health.state == DeviceState.USERERROR:
        return False, N_("A4打印机暂不可用")
    return True, ""


class DocumentPrinterDevice:
    """``settings.type == "none"``: no device, nothing reported."""

    def __init__(
        self, settings: DocumentPrinterSettings, on_health: Callable[[DeviceHealth], None]
    ) -> None:
        self.settings = settings
        self.on_health = on_health
        self.driver: Any = None  # set once the driver answered
        self._candidate: Any = None  # the driver, opened or still trying
        self._lock = threading.Lock()  # one job, or one health query, at a time
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None

    @property
    def configured(self) -> bool:
        return self.settings.type != "none"

    def open(self) -> Callable[[], None] | None:
        """Start the device; the closer to stack, or ``None`` when not configured.
        CUPS or the printer not answering is reported as OFFLINE, not raised:
        the poller keeps trying, so the printer comes back without a restart."""
        if not self.configured:
            return None
        if self.settings.type == "sim":
            from drivers.sim.a4_printer import SimDocumentPrinter

            self._candidate = SimDocumentPrinter(self.settings.keep_dir)
        else:
            from drivers.printer.a4_cups import CupsDocumentPrinter

            assert self.settings.printer_uri is not None  # the settings require it
            self._candidate = CupsDocumentPrinter(
                self.settings.queue,
                self.settings.printer_uri,
                self.settings.cups_server,
                job_timeout_s=self.settings.job_timeout_s,
            )
        self._connect()
        self._stop.clear()
        self._poller = threading.Thread(target=self._poll, name="a4-health", daemon=True)
        self._poller.start()
        return self.close

    def _connect(self) -> None:
        try:
            self._candidate.open()
        except DeviceError as exc:
            self.on_health(DeviceHealth(DEVICE, DeviceState.OFFLINE, PaperState.UNKNOWN, str(exc)))
            return
        self.driver = self._candidate
        self.refresh_health()

    def close(self) -> None:
        self._stop.set()
        if self._poller is not None:
            self._poller.join(timeout=5)
            self._poller = None
        driver, self.driver = self.driver, None
        if driver is not None:
            driver.close()

    def _poll(self) -> None:
        while not self._stop.wait(self.settings.health_interval_s):
            try:
                if self.driver is None:
                    self._connect()  # CUPS was down at start: try again
                else:
                    self.refresh_health()
            except Exception:  # a supervision point: the poller must outlive any fault
                log.exception("A4 printer health query failed")

    def refresh_health(self) -> None:
        """Ask the printer (blocking: off the UI thread)."""
        if self.driver is None:
            return
        with self._lock:
            health: DeviceHealth = self.driver.health()
        self.on_health(health)

    def print_pdf(self, pdf: bytes, title: str) -> int:
        """Print on A4 and wait for the job to complete; raises ``DeviceError``."""
        if self.driver is None:
            raise DeviceOffline("no A4 printer configured")
        try:
            with self._lock:
                job: int = self.driver.print_pdf(pdf, title)
        finally:
            self.refresh_health()
        log.info("A4 document printed (job %d)", job)
        return job

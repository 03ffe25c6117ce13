"""The A4 document printer through CUPS (pycups, i.e. libcups over IPP).

Jobs go to a CUPS queue, which forwards them over IPP to the printer (an IPP
Everywhere queue, created from the printer's own attributes when missing).
The job is followed to ``completed`` (RFC 8011 job-state 9) or to
``canceled``/``aborted`` (7/8). The printer itself is asked for its state
over IPP before and while a job prints: an idle CUPS queue does not learn
that paper ran out until it sends the next job, and the person must be told
before choosing to print.

Documents are sent as ``raw``: a signed PDF must reach the printer byte for
byte (CUPS's pdftopdf filter would rewrite it and break the signature; every
IPP Everywhere printer takes ``application/pdf``).

The driver never draws; it returns :class:`DeviceHealth` and raises
:class:`~drivers.errors.DeviceError` subclasses with a message for people.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import cups

from drivers.errors import DeviceError, DeviceOffline, DeviceTimeout
from drivers.printer.a4_status import DEVICE, PAPER_JAM, PAPER_OUT, A4Status
from protocol.devices import DeviceHealth, DeviceState, PaperState
from protocol.i18n import N_

log = logging.getLogger(__name__)
JOB_COMPLETED, JOB_CANCELED, JOB_ABORTED = 9, 7, 8
STATUS_ATTRIBUTES = ["printer-state", "printer-state-reasons", "printer-is-accepting-jobs"]
A4 = "iso_a4_210x297mm"


class A4PaperOut(DeviceError):
    default_message = N_("A4打印机缺纸，暂时无法打印")


class A4PaperJam(DeviceError):
    default_message = N_("A4打印机卡纸，暂时无法打印")


class A4NotReady(DeviceError):
    """The printer cannot print now (door open, toner empty, stopped)."""

    default_message = N_("A4打印机暂时无法使用，请联系工作人员")


class A4JobFailed(DeviceError):
    default_message = N_("A4打印未完成，请联系工作人员")


def refusal(status: A4Status) -> DeviceError:
    """The error for a printer that cannot print (``status.can_print`` False)."""
    detail = ", ".join(sorted(status.reasons)) or f"printer-state {status.printer_state}"
    if status.reasons & PAPER_JAM:
        return A4PaperJam(detail, code="media-jam")
    if status.reasons & PAPER_OUT:
        return A4PaperOut(detail, code="media-empty")
    return A4NotReady(detail)


def _host_port(address: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(address if "://" in address else f"ipp://{address}")
    if not parts.hostname:
        raise ValueError(f"no host in {address!r}")
    return parts.hostname, parts.port or default_port


class CupsDocumentPrinter:
    """An A4 printer at ``printer_uri`` behind CUPS queue ``queue`` on ``server``
    (``host:port``). :meth:`open` before use, :meth:`close` after."""

    def __init__(
        self,
        queue: str,
        printer_uri: str,
        server: str = "127.0.0.1:631",
        *,
        job_timeout_s: float = 60.0,
        poll_interval_s: float = 0.1,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.queue = queue
        self.printer_uri = printer_uri
        self._server = _host_port(server, 631)
        self._printer = _host_port(printer_uri, 631)
        self.job_timeout_s = job_timeout_s
        self.poll_interval_s = poll_interval_s
        self._sleep = sleep
        self._cups: cups.Connection | None = None
        self._lock = threading.Lock()  # a pycups connection serves one call at a time

    # --- lifecycle ------------------------------------------------------------

    def open(self) -> None:
        """Connect to CUPS and make sure the queue exists and accepts jobs.
        Raises :class:`DeviceOffline` when CUPS does not answer."""
        host, port = self._server
        try:
            with self._lock:
                self._use_server()
                conn = cups.Connection(host=host, port=port)
                if self.queue not in conn.getPrinters():
                    # IPP Everywhere: CUPS builds the queue from the printer's attributes.
                    conn.addPrinter(self.queue, device=self.printer_uri, ppdname="everywhere")
                conn.enablePrinter(self.queue)
                conn.acceptJobs(self.queue)
                self._cups = conn
        except (cups.IPPError, RuntimeError) as exc:
            raise DeviceOffline(f"CUPS at {host}:{port}: {exc}") from exc

    def close(self) -> None:
        self._cups = None  # pycups closes the HTTP connection when the object goes

    def _use_server(self) -> None:
        """libcups keeps the server per thread, and builds the queue's URI from
        it even on a connection made to another host: set it on every thread
        that talks to CUPS (jobs run on the kiosk's task threads)."""
        host, port = self._server
        cups.setServer(host)
        cups.setPort(port)

    # --- health ---------------------------------------------------------------

    def status(self) -> A4Status | None:
        """The printer's own state over IPP, or ``None`` when it does not answer."""
        host, port = self._printer
        try:
            conn = cups.Connection(host=host, port=port)
            attrs = conn.getPrinterAttributes(
                uri=self.printer_uri, requested_attributes=STATUS_ATTRIBUTES
            )
        except (cups.IPPError, RuntimeError) as exc:
            log.warning("A4 printer does not answer: %s", exc)
            return None
        reasons = attrs.get("printer-state-reasons", [])
        if isinstance(reasons, str):
            reasons = [reasons]
        return A4Status.of(
            int(attrs.get("printer-state", 3)),
            reasons,
            bool(attrs.get("printer-is-accepting-jobs", True)),
        )

    def health(self) -> DeviceHealth:
        status = self.status()
        if status is None:
            return DeviceHealth(DEVICE, DeviceState.OFFLINE, paper=PaperState.UNKNOWN)
        return status.health()

    # --- printing -------------------------------------------------------------

    def print_pdf(self, pdf: bytes, title: str) -> int:
        """Print ``pdf`` on A4 and wait until the printer has completed it;
        return the CUPS job id. Raises :class:`A4PaperOut`, :class:`A4PaperJam`,
        :class:`A4NotReady` (before sending, or when the printer stops during
        the job, which is then cancelled), :class:`A4JobFailed` (aborted or
        cancelled), :class:`DeviceTimeout` or :class:`DeviceOffline`."""
        if self._cups is None:
            raise DeviceOffline("A4 printer not opened")
        status = self.status()
        if status is None:
            raise DeviceOffline(f"A4 printer {self.printer_uri} does not answer")
        if not status.can_print:
            raise refusal(status)
        with tempfile.TemporaryDirectory(prefix="huimin-a4-") as tmp:
            path = Path(tmp) / "document.pdf"
            path.write_bytes(pdf)
            try:
                with self._lock:
                    self._use_server()
                    job_id = int(
                        self._cups.printFile(
                            self.queue, str(path), title[:60], {"raw": "true", "media": A4}
                        )
                    )
            except (cups.IPPError, RuntimeError) as exc:
                raise DeviceOffline(f"CUPS refused the job: {exc}") from exc
        log.info("A4 job %d sent (%d bytes)", job_id, len(pdf))
        self._follow(job_id)
        return job_id

    def _job_state(self, job_id: int) -> tuple[int, str]:
        assert self._cups is not None
        try:
            with self._lock:
                self._use_server()
                attrs = self._cups.getJobAttributes(
                    job_id, requested_attributes=["job-state", "job-state-reasons"]
                )
        except (cups.IPPError, RuntimeError) as exc:
            raise DeviceOffline(f"CUPS lost job {job_id}: {exc}") from exc
        reasons = attrs.get("job-state-reasons", "")
        text = reasons if isinstance(reasons, str) else ",".join(reasons)
        return int(attrs["job-state"]), text

    def _cancel(self, job_id: int) -> None:
        assert self._cups is not None
        try:
            with self._lock:
                self._use_server()
                self._cups.cancelJob(job_id)
        except (cups.IPPError, RuntimeError) as exc:
            log.warning("A4 job %d could not be cancelled: %s", job_id, exc)

    def _follow(self, job_id: int) -> None:
        deadline = time.monotonic() + self.job_timeout_s
        while True:
            state, reasons = self._job_state(job_id)
            if state == JOB_COMPLETED:
                log.info("A4 job %d completed", job_id)
                return
            if state in (JOB_CANCELED, JOB_ABORTED):
                raise A4JobFailed(f"job {job_id} ended in state {state}: {reasons}", code=state)
            status = self.status()
            if status is not None and not status.can_print:
                # Paper ran out (or a door opened) under the job: the person
                # must not wait for a page that will not come.
                self._cancel(job_id)
                raise refusal(status)
            if time.monotonic() >= deadline:
                self._cancel(job_id)
                raise DeviceTimeout(f"A4 job {job_id} not completed in {self.job_timeout_s}s")
            self._sleep(self.poll_interval_s)

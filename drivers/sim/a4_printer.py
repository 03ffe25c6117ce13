"""The simulated A4 printer of the demo (``[devices.document_printer] type =
"sim"``): keeps every PDF it prints in a folder and reports whatever
``printer-state-reasons`` the demo sets, through the same status mapping and
refusals as the CUPS driver (:mod:`drivers.printer.a4_cups`)."""

from __future__ import annotations

import threading
from pathlib import Path

from drivers.errors import DeviceOffline
from drivers.printer.a4_cups import refusal
from drivers.printer.a4_status import A4Status
from protocol.devices import DeviceHealth

IDLE = 3


class SimDocumentPrinter:
    def __init__(self, keep_dir: Path) -> None:
        self.keep_dir = keep_dir
        self.reasons: tuple[str, ...] = ()
        self.printed: list[Path] = []
        self._opened = False
        self._lock = threading.Lock()

    def open(self) -> None:
        self.keep_dir.mkdir(parents=True, exist_ok=True)
        self._opened = True

    def close(self) -> None:
        self._opened = False

    def set_reasons(self, *reasons: str) -> None:
        self.reasons = reasons

    def status(self) -> A4Status:
        return A4Status.of(IDLE, self.reasons)

    def health(self) -> DeviceHealth:
        return self.status().health()

    def print_pdf(self, pdf: bytes, title: str) -> int:
        """Keep ``pdf`` as ``a4-<n>.pdf``; the job number. Refuses like the real one."""
        if not self._opened:
            raise DeviceOffline("simulated A4 printer not opened")
        status = self.status()
        if not status.can_print:
            raise refusal(status)
        with self._lock:
            number = len(self.printed) + 1
            path = self.keep_dir / f"a4-{number}.pdf"
            path.write_bytes(pdf)
            self.printed.append(path)
        return number

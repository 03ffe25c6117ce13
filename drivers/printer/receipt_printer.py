"""ReceiptPrinter: status first, then print — never print into a printer that
is out of paper, open or not answering."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from drivers.errors import DeviceError, DeviceOffline, PaperOut, ProtocolError
from protocol.devices import DeviceHealth, DeviceState, PaperState
from protocol.i18n import N_

from .receipt import Receipt, ReceiptTable
from .render import render_receipt_bytes
from .settings import PrinterSettings
from .status import (
    DLE_EOT_OFFLINE_CAUSE,
    DLE_EOT_PAPER,
    DLE_EOT_PRINTER,
    PrinterStatus,
    check_status_byte,
    parse_status,
)
from .transports import PrinterNotFound, PrinterTransport, make_transport

log = logging.getLogger(__name__)


class CoverOpen(DeviceError):
    """The printer cover is open: someone has to close it before printing."""

    default_message = N_("打印机盖未合上，请联系工作人员")


class PrinterFault(DeviceError):
    """The printer reports an error (cutter jam, head overheated, paper jam)."""

    default_message = N_("打印机故障，请联系工作人员")


class ReceiptPrinter:
    """An ESC/POS receipt printer behind any :class:`PrinterTransport`.

    Holds no connection between operations: each status query or print opens
    the transport and closes it again, so a printer that was unplugged or
    power-cycled works again without restarting the kiosk, and each receipt
    is one job on a 9100 port. Thread-safe (one operation at a time).
    """

    def __init__(
        self, settings: PrinterSettings, transport: PrinterTransport | None = None
    ) -> None:
        self.settings = settings
        self.transport = transport or make_transport(settings)
        self._lock = threading.Lock()

    # -- status ------------------------------------------------------------------

    def _query(self, query: bytes) -> int:
        self.transport.write(query)
        reply = self.transport.read(1, self.settings.status_timeout)
        if not reply:
            # python-escpos reports an empty reply as "paper OK" (escpos.md): we
            # treat silence as what it is — nobody is answering.
            raise DeviceOffline(
                f"no reply to DLE EOT {query[-1]} from {self.transport.description} "
                f"within {self.settings.status_timeout:.1f} s"
            )
        return check_status_byte(reply, query)

    def _status_open(self) -> PrinterStatus:
        """Query status on the already open transport."""
        printer = self._query(DLE_EOT_PRINTER)
        cause = self._query(DLE_EOT_OFFLINE_CAUSE)
        paper = self._query(DLE_EOT_PAPER)
        return parse_status(printer, cause, paper)

    def status(self) -> PrinterStatus:
        """Ask the printer (DLE EOT 1, 2, 4). Raises DeviceOffline (no reply,
        refused connection), PrinterNotFound (no such device) or ProtocolError."""
        with self._lock:
            self.transport.open()
            try:
                return self._status_open()
            finally:
                self.transport.close()

    def health(self) -> DeviceHealth:
        """The printer's health snapshot; never raises."""
        try:
            status = self.status()
        except PrinterNotFound as exc:
            return DeviceHealth("printer", DeviceState.NODEVICE, PaperState.UNKNOWN, exc.detail)
        except DeviceOffline as exc:
            return DeviceHealth("printer", DeviceState.OFFLINE, PaperState.UNKNOWN, exc.detail)
        except ProtocolError as exc:
            return DeviceHealth("printer", DeviceState.HWERROR, PaperState.UNKNOWN, exc.detail)
        return status.health(self.transport.description)

    # -- printing ----------------------------------------------------------------

    @staticmethod
    def _refuse_unless_ready(status: PrinterStatus) -> None:
        if status.paper is PaperState.OUT:
            raise PaperOut("printer reports paper out")
        if status.cover_open:
            raise CoverOpen("printer cover open")
        if status.error:
            raise PrinterFault("printer reports an error")
        if not status.online:
            raise DeviceOffline("printer reports itself offline")

    def print_receipt(self, receipt: Receipt) -> PrinterStatus:
        """Print ``receipt`` and return the status checked before printing.

        Checks status first and sends nothing when the printer is out of paper
        (:class:`PaperOut`), open (:class:`CoverOpen`), faulty
        (:class:`PrinterFault`) or not answering (:class:`DeviceOffline`).
        A near-end (LOW) paper status still prints.
        """
        data = render_receipt_bytes(
            receipt, self.settings
        )  # fail on layout before touching the device
        with self._lock:
            self.transport.open()
            try:
                status = self._status_open()
                self._refuse_unless_ready(status)
                self.transport.write(data)
            finally:
                self.transport.close()
        log.info(
            "printed %r (%d bytes) on %s", receipt.title, len(data), self.transport.description
        )
        return status

    def print_test_page(self) -> PrinterStatus:
        """A test page: settings, a column ruler, Chinese text with punctuation, a QR."""
        printer = self.settings.capabilities
        ruler = "".join(str(i % 10) for i in range(1, printer.columns + 1))
        receipt = Receipt(
            title="打印机测试页",
            lines=[
                ("型号配置", self.settings.profile),
                ("纸宽", f"{printer.paper_width_mm} mm"),
                ("编码", printer.encoding),
                ("二维码", "打印机生成" if printer.qr == "native" else "图像"),
                ("连接", self.transport.description),
            ],
            tables=[
                ReceiptTable(
                    ("项目", "结果"), [("中文", "惠民便民服务"), ("标点", "，。、；：？！")]
                )
            ],
            qr="HUIMIN-TEST " + datetime.now().strftime("%Y%m%d%H%M%S"),
            footer=ruler + "\n，。\n惠民自助服务终端",
        )
        return self.print_receipt(receipt)


def open_printer(settings: dict[str, Any] | PrinterSettings) -> ReceiptPrinter:
    """A ReceiptPrinter for the ``[devices.printer]`` table.

    ``type`` network/serial/usb/sim (sim: host/port of a running
    :class:`drivers.sim.printer.VirtualPrinter`). Raises ValueError listing
    every bad setting. Does not touch the device (no I/O until used).
    """
    if not isinstance(settings, PrinterSettings):
        settings = PrinterSettings.from_dict(settings)
    return ReceiptPrinter(settings)

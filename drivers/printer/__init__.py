"""ESC/POS receipt printer: receipt layout, byte rendering, transports, status.

Layering (STYLE.md): ``transports`` move bytes (python-escpos backends);
``layout`` and ``render`` turn a :class:`Receipt` into bytes without any
device; ``status`` parses DLE EOT replies; :class:`ReceiptPrinter` checks
status before every print.
"""

from .layout import layout_receipt, text_width
from .receipt import Receipt, ReceiptTable
from .receipt_printer import CoverOpen, PrinterFault, ReceiptPrinter, open_printer
from .render import render_receipt_bytes
from .settings import PrinterSettings
from .status import PrinterStatus
from .transports import PrinterNotFound, PrinterTransport

__all__ = [
    "CoverOpen",
    "PrinterFault",
    "PrinterNotFound",
    "PrinterSettings",
    "PrinterStatus",
    "PrinterTransport",
    "Receipt",
    "ReceiptPrinter",
    "ReceiptTable",
    "layout_receipt",
    "open_printer",
    "render_receipt_bytes",
    "text_width",
]

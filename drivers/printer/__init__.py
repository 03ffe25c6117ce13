"""ESC/POS receipt printer: receipt layout, byte rendering, transports, status.

Layering (STYLE.md): ``transports`` move bytes (python-escpos backends);
``layout`` and ``render`` turn a :class:`Receipt` into bytes without any
device; ``status`` parses DLE EOT replies; :class:`ReceiptPrinter` checks
status before every print. What a printer can do is data: its profile in
``profiles.toml`` (:class:`PrinterProfile`), chosen by name in
:class:`PrinterSettings`.
"""

from .layout import layout_receipt, text_width
from .profiles import PrinterProfile, load_profiles
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
    "PrinterProfile",
    "PrinterSettings",
    "PrinterStatus",
    "PrinterTransport",
    "Receipt",
    "ReceiptPrinter",
    "ReceiptTable",
    "layout_receipt",
    "load_profiles",
    "open_printer",
    "render_receipt_bytes",
    "text_width",
]

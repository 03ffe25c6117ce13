"""Receipt → ESC/POS bytes (pure: no device, no I/O).

Built on python-escpos's ``Dummy`` printer for images, QR and cut; Chinese
text is written by hand (escpos.md): the library's magic encoder turns
punctuation-only lines such as "，。" into "??", so text blocks are wrapped
in ``FS &`` (enter Chinese mode, 1C 26) … ``FS .`` (leave, 1C 2E) and
encoded with the printer's encoding through ``_raw``. UTF-8 printers get
``FS ( C`` fn 48 = 2 (select UTF-8) instead.
"""

from __future__ import annotations

from typing import Any

from .layout import layout_parts
from .receipt import Receipt
from .settings import PrinterSettings

ESC = b"\x1b"
GS = b"\x1d"
FS = b"\x1c"
INIT = ESC + b"@"
CHINESE_ON = FS + b"&"
CHINESE_OFF = FS + b"."
SELECT_UTF8 = FS + b"(C\x02\x00\x30\x02"  # FS ( C: character encoding system = UTF-8
ALIGN_LEFT = ESC + b"a\x00"
ALIGN_CENTER = ESC + b"a\x01"
BOLD_ON = ESC + b"E\x01"
BOLD_OFF = ESC + b"E\x00"
DOUBLE_HEIGHT = GS + b"!\x01"  # height x2 keeps the 48/32-column width of the layout
NORMAL_SIZE = GS + b"!\x00"
# GBK lacks some rare name characters GB18030 has; print a full-width box
# rather than "?" so the layout's column count stays right.
UNPRINTABLE = "□"
# Lines fed before a cut (what python-escpos's cut() feeds) or, without a cutter,
# to bring the last line past the tear bar.
FEED_LINES = 6


def encode_text(text: str, encoding: str) -> bytes:
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return "".join(_encode_char(ch, encoding) for ch in text).encode(encoding)


def _encode_char(ch: str, encoding: str) -> str:
    try:
        ch.encode(encoding)
    except UnicodeEncodeError:
        return UNPRINTABLE
    return ch


def text_block(lines: list[str], encoding: str) -> bytes:
    """Lines (each ending in LF) in the printer's Chinese text mode."""
    if not lines:
        return b""
    payload = encode_text("\n".join(lines) + "\n", encoding)
    if encoding == "utf-8":
        return payload
    return CHINESE_ON + payload + CHINESE_OFF


def _qr_image(payload: str, dots: int) -> Any:
    """The QR as a 1-bit PIL image as wide as the paper, code centred."""
    import qrcode
    from PIL import Image

    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(payload.encode("utf-8"))
    code.make(fit=True)
    matrix = code.get_matrix()  # includes the border (quiet zone)
    box = max(2, min(8, (dots // 2) // len(matrix)))  # about half the paper wide
    size = len(matrix)
    small = Image.new("1", (size, size), 1)
    small.putdata([0 if cell else 1 for row in matrix for cell in row])
    qr_img = small.resize((size * box, size * box), Image.Resampling.NEAREST)
    canvas = Image.new("1", (dots, qr_img.height), 1)
    canvas.paste(qr_img, ((dots - qr_img.width) // 2, 0))
    return canvas


def raster_image(image: Any) -> bytes:
    """``GS v 0`` raster bit image of a 1-bit PIL image (width a multiple of 8).

    Written here rather than with ``Escpos.image``, which prints a warning on
    stdout for profiles without a media width and converts the image again.
    PIL packs mode "1" MSB first with 1 = white; ESC/POS wants 1 = black.
    """
    width_bytes = (image.width + 7) // 8
    data = image.tobytes().translate(_INVERT)
    header = GS + b"v0\x00" + width_bytes.to_bytes(2, "little") + image.height.to_bytes(2, "little")
    return header + data


_INVERT = bytes(255 - b for b in range(256))


def render_receipt_bytes(receipt: Receipt, settings: PrinterSettings | dict[str, Any]) -> bytes:
    """The complete print job for ``receipt``: init, text, QR, cut (or feed).

    ``settings`` is a :class:`PrinterSettings` or the ``[devices.printer]``
    table (validated; ValueError on bad settings or a table too wide). What
    the printer can do comes from its profile (``settings.capabilities``).
    """
    from escpos.printer import Dummy

    if not isinstance(settings, PrinterSettings):
        settings = PrinterSettings.from_dict(settings)
    printer = settings.capabilities
    enc = printer.encoding
    parts = layout_parts(receipt, printer.columns)
    job = Dummy()
    job._raw(INIT + ALIGN_LEFT)
    if enc == "utf-8":
        job._raw(SELECT_UTF8)
    job._raw(BOLD_ON + DOUBLE_HEIGHT + text_block(parts.title, enc) + NORMAL_SIZE + BOLD_OFF)
    job._raw(text_block(parts.body, enc))
    if receipt.qr:
        job._raw(ALIGN_CENTER)
        if printer.qr == "native":
            job.qr(receipt.qr, ec=1, size=printer.qr_module_dots, native=True)  # ec 1 = level M
        else:
            job._raw(raster_image(_qr_image(receipt.qr, printer.dots)))
        job._raw(ALIGN_LEFT)
    job._raw(text_block(parts.tail, enc))
    if printer.cut == "none":
        job.print_and_feed(FEED_LINES)  # no cutter: feed the text past the tear bar
    else:
        job.cut(mode="PART" if printer.cut == "partial" else "FULL")
    return job.output

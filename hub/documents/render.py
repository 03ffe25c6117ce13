"""A certificate as an A4 PDF/A-2b, laid out by Typst from ``certificate.typ``.

Why Typst (the ``typst`` wheel, the maintained compiler's Python binding): it
writes PDF/A-2b itself (XMP metadata, output intent, embedded fonts), it
embeds subsets of the Noto CJK OpenType fonts the kiosk already uses (their
CFF outlines are refused by reportlab's TTF embedding, and open-source
reportlab cannot produce PDF/A), and it lays a page out in milliseconds once
the fonts are loaded. The page's values travel as JSON (``sys.inputs``), so
no value is ever parsed as markup.
"""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import qrcode
import qrcode.image.svg
import typst
from pydantic import BaseModel

from hub.services.printable import PrintLine

TEMPLATE = Path(__file__).with_name("certificate.typ")
# Where the office's seal (the signature's appearance) goes, in mm from the
# page's top-left corner: x, y, width, height. The template centres the office
# name and date in the same box, so the seal covers them as a stamp would.
SEAL_BOX_MM = (118.0, 196.0, 44.0, 44.0)
A4_HEIGHT_MM = 297.0
_PT_PER_MM = 72 / 25.4


class RenderError(Exception):
    """The template could not be laid out (a broken template or missing font)."""


class CertificatePage(BaseModel):
    """What one certificate shows. Values are final text: the ID number is
    already shown as the issuing template wants it (masked by default)."""

    title: str
    code: str
    statement: str  # the sentence naming the holder
    lines: list[PrintLine]
    notes: list[str]
    office: str
    issued_on: str  # 2026年12月03日
    valid_text: str  # 有效期至2027年03月03日
    verify_url: str


def seal_box_points() -> tuple[int, int, int, int]:
    """:data:`SEAL_BOX_MM` as a PDF rectangle (x1, y1, x2, y2) in whole points,
    origin bottom-left, for the signature field."""
    x, y, w, h = SEAL_BOX_MM
    bottom = A4_HEIGHT_MM - y - h
    k = _PT_PER_MM
    return (round(x * k), round(bottom * k), round((x + w) * k), round((bottom + h) * k))


def qr_svg(url: str) -> str:
    """The verification QR as SVG (vector: sharp at any print resolution)."""
    image = qrcode.make(
        url,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
    )
    out = io.BytesIO()
    image.save(out)
    return out.getvalue().decode("utf-8")


class CertificateRenderer:
    """Lays certificates out; the fonts are loaded once (the first compile)."""

    def __init__(self, font_dirs: list[Path]) -> None:
        missing = [str(d) for d in font_dirs if not d.is_dir()]
        if missing:
            raise RenderError(f"font folder not found: {', '.join(missing)}")
        # System fonts are ignored: the page must look the same on every hub,
        # with exactly the fonts configured (and the kiosk's Noto CJK by default).
        self._compiler = typst.Compiler(
            str(TEMPLATE), font_paths=[str(d) for d in font_dirs], ignore_system_fonts=True
        )
        self._lock = threading.Lock()  # one compiler, one document at a time

    def render(self, page: CertificatePage) -> bytes:
        """The page as PDF/A-2b bytes; :class:`RenderError` if Typst refuses."""
        data = page.model_dump(mode="json") | {"seal_box_mm": list(SEAL_BOX_MM)}
        inputs = {"page": json.dumps(data, ensure_ascii=False), "qr": qr_svg(page.verify_url)}
        try:
            with self._lock:
                pdf = self._compiler.compile(sys_inputs=inputs, pdf_standards=["a-2b"])
        except typst.TypstError as exc:
            raise RenderError(f"certificate layout failed: {exc.message}") from exc
        if not isinstance(pdf, bytes):
            raise RenderError("certificate layout produced no single PDF")
        return pdf

"""An ESC/POS decoder independent of python-escpos: what would the paper show?

``decode(data)`` walks the byte stream command by command (lengths from the
ESC/POS command reference), drops the commands, decodes text — GB18030 (or
the given encoding) between ``FS &`` and ``FS .``, UTF-8 after ``FS ( C``
selects it, ASCII otherwise — rebuilds ``GS v 0`` raster images with
Pillow and collects ``GS ( k`` QR payloads. ``render_png`` draws the
receipt as paper: text in Noto Sans CJK, images, QR codes.

``command_length`` is shared with the virtual printer, which needs the same
command boundaries to answer real-time status queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ESC, GS, FS, DLE, LF = 0x1B, 0x1D, 0x1C, 0x10, 0x0A

# Parameter byte counts of fixed-length commands (after the 2-byte prefix).
_ESC_FIXED = {
    ord("@"): 0, ord("2"): 0, ord("<"): 0,
    ord("!"): 1, ord("-"): 1, ord("3"): 1, ord("E"): 1, ord("G"): 1, ord("J"): 1,
    ord("M"): 1, ord("R"): 1, ord("U"): 1, ord("V"): 1, ord("a"): 1, ord("d"): 1,
    ord("e"): 1, ord("t"): 1, ord("{"): 1, ord(" "): 1, ord("="): 1, ord("%"): 1,
    ord("?"): 1, ord("K"): 1, ord("S"): 0, ord("T"): 1, ord("L"): 0, ord("i"): 0,
    ord("m"): 0, ord("$"): 2, ord("\\"): 2, ord("p"): 3, ord("c"): 2,
}  # fmt: skip
_GS_FIXED = {
    ord("!"): 1, ord("B"): 1, ord("H"): 1, ord("I"): 1, ord("a"): 1, ord("b"): 1,
    ord("f"): 1, ord("h"): 1, ord("r"): 1, ord("w"): 1, ord("L"): 2, ord("W"): 2,
    ord("P"): 2, ord("$"): 2, ord("\\"): 2, ord("^"): 3, ord(":"): 0,
}  # fmt: skip
_FS_FIXED = {ord("&"): 0, ord("."): 0, ord("!"): 1, ord("-"): 1, ord("W"): 1, ord("S"): 2}


def _fits(buf: bytes | bytearray, i: int, length: int) -> int | None:
    return length if i + length <= len(buf) else None


# Commands whose length depends on their parameters. Each reader is called once
# the fixed header (its first number of bytes) has arrived and returns the whole
# command's length, or None while its end is not yet known.
def _with_pl_ph(buf: bytes | bytearray, i: int) -> int | None:
    return 5 + buf[i + 3] + 256 * buf[i + 4]  # GS ( k/L, FS ( C: pL pH


def _with_32bit_length(buf: bytes | bytearray, i: int) -> int | None:
    return 7 + int.from_bytes(buf[i + 3 : i + 7], "little")  # GS 8 L p1 p2 p3 p4


def _raster(buf: bytes | bytearray, i: int) -> int | None:
    # GS v 0 m xL xH yL yH d1…dk: width in bytes times height in dots.
    return 8 + (buf[i + 4] + 256 * buf[i + 5]) * (buf[i + 6] + 256 * buf[i + 7])


def _cut(buf: bytes | bytearray, i: int) -> int | None:
    # GS V m [n]: modes 65/66, 97/98 and 103/104 take a feed amount.
    return 4 if buf[i + 2] in (65, 66, 97, 98, 103, 104) else 3


def _barcode(buf: bytes | bytearray, i: int) -> int | None:
    if buf[i + 2] <= 6:  # GS k m d… NUL
        end = bytes(buf).find(b"\x00", i + 3)
        return None if end < 0 else end + 1 - i
    return None if i + 4 > len(buf) else 4 + buf[i + 3]  # GS k m n d1…dn


def _bit_image(buf: bytes | bytearray, i: int) -> int | None:
    # ESC * m nL nH d…: 24-dot modes (32, 33) take three bytes per dot column.
    return 5 + (buf[i + 3] + 256 * buf[i + 4]) * (3 if buf[i + 2] in (32, 33) else 1)


_VARIABLE: dict[tuple[int, int], tuple[int, Callable[[bytes | bytearray, int], int | None]]] = {
    (GS, ord("(")): (5, _with_pl_ph),
    (FS, ord("(")): (5, _with_pl_ph),
    (GS, ord("8")): (7, _with_32bit_length),
    (GS, ord("v")): (8, _raster),
    (GS, ord("V")): (3, _cut),
    (GS, ord("k")): (3, _barcode),
    (ESC, ord("*")): (5, _bit_image),
}
_FIXED = {ESC: _ESC_FIXED, GS: _GS_FIXED, FS: _FS_FIXED}
# DLE EOT n / DLE ENQ n (real-time status) and DLE DC4 fn a b; any other DLE is data.
_DLE_LENGTHS = {0x04: 3, 0x05: 3, 0x14: 5}


def command_length(buf: bytes | bytearray, i: int) -> int | None:
    """Length of the command or text byte at ``buf[i]``; None if ``buf`` ends
    before the command does (wait for more bytes)."""
    b = buf[i]
    if b not in (ESC, GS, FS, DLE):
        return 1
    if i + 1 >= len(buf):
        return None
    c = buf[i + 1]
    if b == DLE:
        length = _DLE_LENGTHS.get(c)
        return 1 if length is None else _fits(buf, i, length)
    if (b, c) in _VARIABLE:
        header, length_of = _VARIABLE[(b, c)]
        length = length_of(buf, i) if i + header <= len(buf) else None
        return None if length is None else _fits(buf, i, length)
    if c in _FIXED[b]:
        return _fits(buf, i, 2 + _FIXED[b][c])
    return 2  # unknown: assume no parameters (recorded in DecodedReceipt.unknown)


@dataclass
class TextLine:
    text: str
    align: int = 0  # 0 left, 1 centre, 2 right
    bold: bool = False
    double_height: bool = False
    double_width: bool = False


@dataclass
class QrCode:
    payload: str
    module_size: int = 3
    error_level: str = "L"


@dataclass
class DecodedReceipt:
    """What the paper shows. ``blocks`` keeps text lines, images and QR codes
    in print order for rendering; ``unknown`` lists commands not understood."""

    text_lines: list[str] = field(default_factory=list)
    images: list[Any] = field(default_factory=list)  # PIL images, black on white
    qr_payloads: list[str] = field(default_factory=list)
    cuts: int = 0
    blocks: list[TextLine | QrCode | Any] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


class _Decoder:
    def __init__(self, encoding: str) -> None:
        self.out = DecodedReceipt()
        self.chinese_encoding = encoding
        self.chinese = False
        self.utf8 = False
        self.line: list[tuple[bytes, str]] = []
        self.style = TextLine("")
        self.qr = QrCode("")
        self.qr_store = b""

    def _mode(self) -> str:
        if self.utf8:
            return "utf-8"
        return self.chinese_encoding if self.chinese else "ascii"

    def text(self, chunk: bytes) -> None:
        mode = self._mode()
        if self.line and self.line[-1][1] == mode:
            self.line[-1] = (self.line[-1][0] + chunk, mode)
        else:
            self.line.append((chunk, mode))

    def end_line(self) -> None:
        text = "".join(raw.decode(mode, "replace") for raw, mode in self.line)
        self.line = []
        self.out.text_lines.append(text)
        s = self.style
        self.out.blocks.append(TextLine(text, s.align, s.bold, s.double_height, s.double_width))

    def command(self, cmd: bytes) -> None:
        handle = {ESC: self._esc, GS: self._gs, FS: self._fs}.get(cmd[0])
        if handle is not None:  # DLE commands are real-time: nothing on paper
            handle(cmd[1], cmd)

    def _esc(self, c: int, cmd: bytes) -> None:
        s = self.style
        if c == ord("@"):
            self.chinese = self.utf8 = False
            self.style = TextLine("")
        elif c == ord("a"):
            s.align = cmd[2] % 48 if cmd[2] >= 48 else cmd[2]
        elif c == ord("E"):
            s.bold = bool(cmd[2] & 1)
        elif c == ord("!"):
            s.bold, s.double_height, s.double_width = (
                bool(cmd[2] & 0x08), bool(cmd[2] & 0x10), bool(cmd[2] & 0x20)
            )  # fmt: skip
        elif c not in _ESC_FIXED and c != ord("*"):
            self.out.unknown.append(cmd[:2].hex())

    def _gs(self, c: int, cmd: bytes) -> None:
        if c == ord("!"):
            self.style.double_width = bool(cmd[2] & 0x70)
            self.style.double_height = bool(cmd[2] & 0x07)
        elif c == ord("v"):
            self.raster(cmd)
        elif c == ord("V"):
            self.out.cuts += 1
        elif c == ord("(") and cmd[2] == ord("k"):
            self.qr_command(cmd[5:])
        elif c not in _GS_FIXED and c not in (ord("("), ord("8"), ord("k")):
            self.out.unknown.append(cmd[:2].hex())

    def _fs(self, c: int, cmd: bytes) -> None:
        if c == ord("&"):
            self.chinese = True
        elif c == ord("."):
            self.chinese = False
        elif c == ord("(") and cmd[2] == ord("C") and len(cmd) >= 7 and cmd[5] in (48, 0):
            self.utf8 = cmd[6] in (2, 50)  # fn 48: 1 = one-byte codes, 2 = UTF-8
        elif c not in _FS_FIXED and c != ord("("):
            self.out.unknown.append(cmd[:2].hex())

    def raster(self, cmd: bytes) -> None:
        from PIL import Image

        width_bytes, height = cmd[4] + 256 * cmd[5], cmd[6] + 256 * cmd[7]
        bits = bytes(cmd[8:]).translate(bytes(255 - v for v in range(256)))  # 1 = black → 0
        image = Image.frombytes("1", (width_bytes * 8, height), bits)
        self.out.images.append(image)
        self.out.blocks.append(image)

    def qr_command(self, body: bytes) -> None:
        cn, fn, params = body[0], body[1], body[2:]
        if cn != ord("1"):
            self.out.unknown.append(f"1d286b cn={cn}")
        elif fn == 67 and params:
            self.qr.module_size = params[0]
        elif fn == 69 and params:
            self.qr.error_level = "LMQH"[params[0] - 48] if 48 <= params[0] <= 51 else "L"
        elif fn == 80:
            self.qr_store = params[1:]  # m = 48, then the data
        elif fn == 81:
            try:
                payload = self.qr_store.decode("utf-8")
            except UnicodeDecodeError:
                payload = self.qr_store.decode("gb18030", "replace")
            self.out.qr_payloads.append(payload)
            self.out.blocks.append(QrCode(payload, self.qr.module_size, self.qr.error_level))


def decode(data: bytes, *, encoding: str = "gb18030") -> DecodedReceipt:
    """Decode a print job. ``encoding`` is the printer's Chinese-mode encoding."""
    decoder = _Decoder(encoding)
    i = 0
    n = len(data)
    while i < n:
        b = data[i]
        if b == LF:
            decoder.end_line()
            i += 1
            continue
        length = command_length(data, i)
        if length is None:
            decoder.out.unknown.append(f"truncated command at byte {i}")
            break
        if b in (ESC, GS, FS) or (b == DLE and length > 1):
            decoder.command(bytes(data[i : i + length]))
        elif b >= 0x20:
            j = i + 1  # take the whole run of text bytes at once
            while (
                j < n
                and (data[j] >= 0x20 or data[j] in (0x09,))
                and data[j] not in (ESC, GS, FS, DLE)
            ):
                j += 1
            decoder.text(bytes(data[i:j]))
            i = j
            continue
        i += length
    if decoder.line:
        decoder.end_line()
    return decoder.out


# -- rendering ------------------------------------------------------------------

FONT_FILE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
CELL = 12  # dots per half-width column (font A: 12 × 24)
LINE = 30  # dots per text line (24-dot font + default line spacing)
MARGIN = 24


def _cjk_font(size: int) -> Any:
    """Noto Sans CJK SC from the collection (fonts-noto-cjk)."""
    from PIL import ImageFont

    if not FONT_FILE.exists():
        raise FileNotFoundError(f"{FONT_FILE} missing: apt-get install fonts-noto-cjk")
    for index in range(10):
        font = ImageFont.truetype(str(FONT_FILE), size, index=index)
        if "SC" in (font.getname()[0] or ""):
            return font
    return ImageFont.truetype(str(FONT_FILE), size)


def _text_image(line: TextLine, width: int, font: Any) -> Any:
    from PIL import Image, ImageDraw

    cols = sum(1 if ord(ch) < 0x80 else 2 for ch in line.text)
    scale_x = 2 if line.double_width else 1
    image = Image.new("L", (width, LINE), 255)
    draw = ImageDraw.Draw(image)
    left = {0: 0, 1: (width - cols * CELL * scale_x) // 2, 2: width - cols * CELL * scale_x}
    x = max(0, left.get(line.align, 0)) // scale_x
    for ch in line.text:
        # Each character sits in its own cell, as on the printer (fixed pitch).
        draw.text((x, 1), ch, fill=0, font=font)
        if line.bold:  # emphasised mode prints each dot twice, shifted one dot right
            draw.text((x + 1, 1), ch, fill=0, font=font)
        x += CELL if ord(ch) < 0x80 else 2 * CELL
    if line.double_width or line.double_height:
        image = image.resize(
            (width * scale_x, LINE * (2 if line.double_height else 1)), Image.Resampling.BILINEAR
        ).crop((0, 0, width, LINE * (2 if line.double_height else 1)))
    return image


def _qr_image(code: QrCode) -> Any:
    import qrcode

    level = getattr(qrcode.constants, f"ERROR_CORRECT_{code.error_level}")
    qr = qrcode.QRCode(box_size=max(1, code.module_size), border=2, error_correction=level)
    qr.add_data(code.payload.encode("utf-8"))
    qr.make(fit=True)
    return qr.make_image().get_image().convert("L")


def render_png(
    data: bytes, path: str | Path, *, width_dots: int = 576, encoding: str = "gb18030"
) -> DecodedReceipt:
    """Render the job as a paper-like PNG at ``path``; returns the decoded receipt.

    Text is drawn with Noto Sans CJK in 12/24-dot cells (so columns line up as
    printed), raster images pasted as sent, native QR codes drawn from their
    payload at the module size the job asked for, each cut as a dashed line.
    """
    from PIL import Image, ImageDraw

    decoded = decode(data, encoding=encoding)
    font = _cjk_font(24)
    pieces: list[Any] = []
    for block in decoded.blocks:
        if isinstance(block, TextLine):
            pieces.append(_text_image(block, width_dots, font))
        else:
            picture = _qr_image(block) if isinstance(block, QrCode) else block.convert("L")
            row = Image.new("L", (width_dots, picture.height), 255)
            row.paste(picture, (max(0, (width_dots - picture.width) // 2), 0))
            pieces.append(row)
    height = sum(p.height for p in pieces) + 2 * MARGIN + 20 * decoded.cuts
    paper = Image.new("L", (width_dots + 2 * MARGIN, height), 255)
    y = MARGIN
    for piece in pieces:
        paper.paste(piece, (MARGIN, y))
        y += piece.height
    draw = ImageDraw.Draw(paper)
    for _ in range(decoded.cuts):
        y += 10
        for x in range(0, paper.width, 16):
            draw.line((x, y, x + 8, y), fill=128, width=2)
    paper.save(path)
    return decoded


def main(argv: list[str] | None = None) -> int:
    """``python -m drivers.sim.escpos_decode JOB.bin OUT.png``: render a saved job
    (e.g. one of VirtualPrinter.jobs) and print its text, for README screenshots."""
    import argparse

    parser = argparse.ArgumentParser(description="Render an ESC/POS job as a PNG.")
    parser.add_argument("job", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--width-dots", type=int, default=576, help="576 (80 mm) or 384 (58 mm)")
    parser.add_argument("--encoding", default="gb18030")
    args = parser.parse_args(argv)
    decoded = render_png(
        args.job.read_bytes(), args.png, width_dots=args.width_dots, encoding=args.encoding
    )
    print("\n".join(decoded.text_lines))
    for payload in decoded.qr_payloads:
        print(f"[QR] {payload}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Lay a :class:`Receipt` out in character columns for the paper width.

In Chinese mode a printer prints every single-byte (ASCII) character
half-width and every multi-byte GB18030 character full-width: 80 mm paper
holds 48 half-width / 24 full-width characters per line in font A,
58 mm paper 32 / 16 (escpos.md); the printer's profile says how many
(``PrinterProfile.columns``). Widths here count ASCII as 1 column and
everything else as 2, lines never exceed the width, and wrapping happens
between characters, never inside one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .receipt import Receipt, ReceiptTable

# Closing punctuation must not start a line (GB/T 15834 line-breaking rule).
NO_LINE_START = frozenset("，。、；：！？）》」』】〕”’,.;:!?)]}%")


def char_width(ch: str) -> int:
    return 1 if ord(ch) < 0x80 else 2


def text_width(text: str) -> int:
    return sum(1 if ord(ch) < 0x80 else 2 for ch in text)


# Half-width signs that GB18030 only has as 4-byte sequences (many printers
# cannot print those); their full-width forms are 2-byte GBK characters.
_PRINTABLE_FORMS = str.maketrans({"¥": "￥", "£": "￡", "¢": "￠"})


def sanitize(text: str) -> str:
    """Replace control characters (they would be printer commands) with spaces and
    use the full-width currency signs printers have in their GBK fonts."""
    text = text.translate(_PRINTABLE_FORMS)
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)


def wrap(text: str, width: int) -> list[str]:
    """Split ``text`` into lines of at most ``width`` columns (at least one line)."""
    if width < 2:
        raise ValueError("wrap width must hold one full-width character")
    lines: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        w = char_width(ch)
        if used + w > width:
            carry: list[str] = []
            # Keep closing punctuation off the start of the next line by moving
            # the previous character down with it (bounded: one character).
            if ch in NO_LINE_START and len(current) > 1 and width >= 4:
                carry = [current.pop()]
            lines.append("".join(current).rstrip())
            current, used = carry, sum(char_width(c) for c in carry)
        current.append(ch)
        used += w
    lines.append("".join(current).rstrip())
    return lines


def center(text: str, width: int) -> str:
    return " " * max(0, (width - text_width(text)) // 2) + text


def key_value(key: str, value: str, width: int) -> list[str]:
    """``key：`` on the left, ``value`` right-aligned; long values wrap under it."""
    head = key + "："
    head_w, value_w = text_width(head), text_width(value)
    if head_w + value_w <= width:
        return [(head + " " * (width - head_w - value_w) + value).rstrip()]
    if head_w <= width // 2:
        parts = wrap(value, width - head_w)
        return [head + parts[0]] + [" " * head_w + p for p in parts[1:]]
    return wrap(head, width) + ["  " + p for p in wrap(value, width - 2)]


def _column_widths(table: ReceiptTable, width: int) -> list[int]:
    n = len(table.header)
    available = width - (n - 1)  # one space between columns
    if available < 2 * n:
        raise ValueError(f"a table of {n} columns does not fit {width} columns of paper")
    rows = (table.header, *table.rows)
    widths = [max(2, *(text_width(row[i]) for row in rows)) for i in range(n)]
    while sum(widths) > available:  # bounded: each step shrinks the widest column by 1
        widest = max(range(n), key=lambda i: widths[i])
        widths[widest] -= 1
    # Spread the slack evenly so columns sit apart; numbers stay right-aligned.
    slack = available - sum(widths)
    for i in range(n):
        widths[i] += slack // n + (1 if i < slack % n else 0)
    return widths


_NUMERIC = re.compile(r"^[-+￥$]?[\d,.]+%?$")


def _numeric_columns(tbl: ReceiptTable) -> list[bool]:
    """Columns whose cells are all numbers (amounts) are right-aligned."""
    return [
        bool(tbl.rows) and all(_NUMERIC.match(row[i].strip()) for row in tbl.rows)
        for i in range(len(tbl.header))
    ]


def _table_row(cells: tuple[str, ...], widths: list[int], right: list[bool]) -> list[str]:
    wrapped = [wrap(cell, w) for cell, w in zip(cells, widths, strict=True)]
    out = []
    for k in range(max(len(c) for c in wrapped)):
        parts = []
        for cell_lines, w, align_right in zip(wrapped, widths, right, strict=True):
            text = cell_lines[k] if k < len(cell_lines) else ""
            pad = " " * (w - text_width(text))
            parts.append(pad + text if align_right else text + pad)
        out.append(" ".join(parts).rstrip())
    return out


def table(tbl: ReceiptTable, width: int) -> list[str]:
    tbl = ReceiptTable(
        tuple(sanitize(c) for c in tbl.header),
        tuple(tuple(sanitize(c) for c in row) for row in tbl.rows),
    )
    widths = _column_widths(tbl, width)
    right = _numeric_columns(tbl)
    out = [*_table_row(tuple(tbl.header), widths, right), "-" * width]
    for row in tbl.rows:
        out += _table_row(tuple(row), widths, right)
    return out


@dataclass(frozen=True)
class ReceiptLayout:
    """Text lines around the QR code: ``title`` (printed double height), ``body``
    (above the QR) and ``tail`` (verification code and footer, below it)."""

    title: list[str]
    body: list[str]
    tail: list[str]

    @property
    def lines(self) -> list[str]:
        return self.title + self.body + self.tail


def layout_parts(receipt: Receipt, columns: int) -> ReceiptLayout:
    width = columns
    title = [center(line, width) for line in wrap(sanitize(receipt.title), width)]
    body = ["=" * width]
    for key, value in receipt.lines:
        body += key_value(sanitize(key), sanitize(value), width)
    for tbl in receipt.tables:
        body += ["-" * width, *table(tbl, width)]
    body += ["-" * width]
    body += key_value("打印时间", receipt.created_at.strftime("%Y-%m-%d %H:%M:%S"), width)
    tail: list[str] = []
    if receipt.verification_code:
        tail += [
            center(line, width)
            for line in wrap("验证码：" + sanitize(receipt.verification_code), width)
        ]
    for footer_line in receipt.footer.splitlines():
        tail += [center(line, width) for line in wrap(sanitize(footer_line), width)]
    return ReceiptLayout(title, body, tail)


def layout_receipt(receipt: Receipt, columns: int) -> list[str]:
    """All text lines of ``receipt`` for paper of ``columns`` half-width
    characters (the profile's ``columns``: 48 on 80 mm, 32 on 58 mm), top to bottom.

    Raises ValueError for a table with too many columns for the paper.
    """
    return layout_parts(receipt, columns).lines

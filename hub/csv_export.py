"""CSV files the hub hands to operators, safe to open in a spreadsheet.

A cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is read by Excel and WPS as a formula (``=HYPERLINK(…)`` as a terminal's name
became a live link in the statistics export). Such a cell is written with a
leading apostrophe, which spreadsheets show as text and do not display (the
OWASP "CSV injection" rule). Plain numbers such as ``-3`` or ``-1.5`` stay
numbers.

defusedcsv was considered: it leaves cells that begin with a tab or a carriage
return as they are and rewrites ``|`` inside cells, so the rule is kept here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?%?$")


def safe_cell(value: object) -> str:
    """``value`` as a CSV cell that no spreadsheet evaluates."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def csv_text(rows: Iterable[Iterable[object]], *, bom: bool = True) -> str:
    """The rows as CSV text, every cell through :func:`safe_cell`. With ``bom``
    (the default) the text starts with a UTF-8 byte-order mark, so that Excel on
    an office PC shows Chinese headers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" if bom else "") + buffer.getvalue()

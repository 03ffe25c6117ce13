"""Showing a hub ``printable`` (title, key–value lines, table, notes) on screen.

The hub masks personal data in it; labels are Chinese msgids that the
terminal's catalogue translates.
"""

from __future__ import annotations

from typing import Any

from kiosk.i18n import Translator
from kiosk.ui.blocks import Block, KeyValues, Paragraph, Table


def printable_blocks(tr: Translator, printable: dict[str, Any]) -> list[Block]:
    blocks: list[Block] = []
    lines = [(tr(str(line["label"])), str(line["value"])) for line in printable.get("lines", [])]
    if lines:
        blocks.append(KeyValues(lines))
    table = printable.get("table") or {}
    if table.get("rows"):
        headers = [tr(str(c)) for c in table.get("columns", [])]
        blocks.append(Table(headers, [[str(c) for c in row] for row in table["rows"]]))
    for note in printable.get("notes", []):
        blocks.append(Paragraph(tr(str(note)), bold=True))
    if not blocks:
        blocks.append(Paragraph(tr("没有查到记录")))
    return blocks

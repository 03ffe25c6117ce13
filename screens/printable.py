"""Showing a hub ``printable`` (title, key–value lines, table, notes) on screen.

The hub masks personal data in it; labels are Chinese msgids that the
terminal's catalogue translates.
"""

from __future__ import annotations

from kiosk.hub_client.models import Printable
from kiosk.i18n import Translator
from kiosk.ui.blocks import Block, KeyValues, Paragraph, Table


def printable_blocks(tr: Translator, printable: Printable) -> list[Block]:
    blocks: list[Block] = []
    lines = [(tr(line.label), line.value) for line in printable.lines]
    if lines:
        blocks.append(KeyValues(lines))
    table = printable.table
    if table is not None and table.rows:
        blocks.append(Table([tr(c) for c in table.columns], [list(row) for row in table.rows]))
    for note in printable.notes:
        blocks.append(Paragraph(tr(note), bold=True))
    if not blocks:
        blocks.append(Paragraph(tr("没有查到记录")))
    return blocks

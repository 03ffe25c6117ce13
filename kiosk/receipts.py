"""Receipts the kiosk prints, built from what the hub sent and the screen showed.

The hub's ``printable`` (title, lines, table, notes, verification code and
its URL) is already masked (payments-and-privacy.md); laying it out for the
paper width is the printer driver's job (:class:`drivers.printer.Receipt`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from kiosk.i18n import Translator

if TYPE_CHECKING:
    from drivers.printer import Receipt


def from_printable(
    printable: dict[str, Any], *, tr: Translator, terminal: str, now: datetime
) -> Receipt:
    """The receipt for a hub printable; ``now`` is the terminal's local time (printed)."""
    # Imported here: python-escpos is slow to import and not needed for the first frame.
    from drivers.printer import Receipt, ReceiptTable

    table = printable.get("table") or {}
    tables = []
    if table.get("rows"):
        tables.append(
            ReceiptTable(
                [tr(str(c)) for c in table.get("columns", [])],
                [[str(c) for c in row] for row in table["rows"]],
            )
        )
    footer = [tr(str(n)) for n in printable.get("notes", [])]
    footer.append(tr.format("终端：{terminal}", terminal=terminal))
    return Receipt(
        title=tr(str(printable.get("title", ""))),
        lines=[(tr(str(line["label"])), str(line["value"])) for line in printable.get("lines", [])],
        tables=tables,
        qr=printable.get("qr_url"),
        verification_code=printable.get("verification_code"),
        footer="\n".join(footer),
        created_at=now,
    )

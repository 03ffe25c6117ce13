"""Receipts the kiosk prints, built from what the screens show.

The layout for the paper width (full-width characters, wrapping) is the
printer driver's job (:class:`drivers.printer.Receipt`); this module only
decides what goes on the paper, always masked (payments-and-privacy.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drivers.printer import Receipt


def query_receipt(
    *,
    title: str,
    person: Sequence[tuple[str, str]],
    result: dict[str, Any],
    terminal: str,
    when: str,
) -> Receipt:
    """A printed copy of a query result: masked person lines, the table, totals."""
    # Imported here: python-escpos is slow to import and not needed for the first frame.
    from drivers.printer import Receipt, ReceiptTable

    table = result.get("table") or {}
    tables = []
    if table.get("rows"):
        tables.append(
            ReceiptTable(
                [str(h) for h in table["headers"]], [[str(c) for c in row] for row in table["rows"]]
            )
        )
    footer_lines = [str(s) for s in result.get("summary", [])]
    footer_lines.append(f"{terminal} {when}")
    return Receipt(
        title=title,
        lines=list(person),
        tables=tables,
        footer="\n".join(footer_lines),
        verification_code=result.get("verification_code"),
        qr=result.get("verify_url"),
    )

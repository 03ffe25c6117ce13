"""Receipts for the service journeys: acceptance slips, certificates, payment
receipts, guides and queue tickets.

The hub sends a ``printable`` with every response that ends on paper
(hub/services/printable.py: title, key–value lines, an optional table,
notes, verification code and QR URL), already masked on the server
(payments-and-privacy.md §Personal data: "mask on the server where the
server renders"). This module turns it into a printer
:class:`~drivers.printer.receipt.Receipt` and adds the terminal's own
footer; the guide, which the terminal composes itself, is built here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk.hub_client.models import Guide, Printable
from kiosk.i18n import Translator
from kiosk.privacy import redact

if TYPE_CHECKING:
    from drivers.printer.receipt import Receipt


def yuan(fen: int) -> str:
    """``40000`` fen → ``"400.00元"`` (amounts travel as integer fen)."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}元"


def _footer(notes: Sequence[str], terminal: str, when: str) -> str:
    return "\n".join([*(str(n) for n in notes), f"{terminal} {when}"])


def from_printable(
    printable: Printable, *, tr: Translator, terminal: str, now: datetime
) -> Receipt:
    """A receipt from the hub's ``printable`` (slip, certificate, ticket, progress, payment).

    Labels, title and notes are msgids the terminal translates; values are
    already masked by the hub and pass :func:`kiosk.privacy.redact` as a
    second guard, so an ID- or card-number-shaped run never reaches paper
    in full. ``now`` is the print time (the terminal's local time).
    """
    from drivers.printer.receipt import Receipt, ReceiptTable

    tables = []
    table = printable.table
    if table is not None and table.columns and table.rows:
        tables.append(
            ReceiptTable(
                header=tuple(tr(c) for c in table.columns),
                rows=tuple(tuple(redact(c) for c in row) for row in table.rows),
            )
        )
    notes = [tr(redact(n)) for n in printable.notes]
    notes.append(tr.format("终端：{terminal}", terminal=terminal))
    return Receipt(
        title=tr(printable.title),
        lines=[(tr(line.label), redact(line.value)) for line in printable.lines],
        tables=tables,
        qr=printable.qr_url or None,
        verification_code=printable.verification_code or None,
        footer="\n".join(notes),
        created_at=now,
    )


def guide_receipt(guide: Guide, *, terminal: str, when: str) -> Receipt:
    """The 办事指南 on paper: every element the screen shows (seeds/001)."""
    from drivers.printer.receipt import Receipt, ReceiptTable

    limits = guide.time_limits
    promised = limits.promised_days
    lines: list[tuple[str, str]] = [
        ("事项", guide.name),
        ("受理单位", guide.department),
        ("跑动次数", guide.visits),
        ("办理时限", "即办" if promised == 0 else f"承诺{promised}个工作日"),
        ("收费", guide.fees_text),
        ("咨询电话", guide.phone),
    ]
    for i, basis in enumerate(guide.legal_basis):
        lines.append(("办理依据" if i == 0 else "", basis))
    for i, cond in enumerate(guide.conditions):
        lines.append(("申请条件" if i == 0 else "", f"{i + 1}. {cond}"))
    for i, step in enumerate(guide.process):
        lines.append(("办理流程" if i == 0 else "", f"{i + 1}. {step}"))
    for i, place in enumerate(guide.where):
        lines.append(
            ("办理地点" if i == 0 else "", f"{place.name}：{place.address}（{place.hours}）")
        )
    materials = ReceiptTable(
        header=("申请材料", "形式", "份数"),
        rows=tuple((m.name, m.form, str(m.copies)) for m in guide.materials),
    )
    return Receipt(
        title=f"办事指南：{guide.name}",
        lines=lines,
        tables=[materials] if materials.rows else [],
        footer=_footer([limits.note] if limits.note else [], terminal, when),
    )


def kept_receipt(printable: Printable, *, tr: Translator, terminal: str, now: datetime) -> Receipt:
    """A reprint of something this terminal printed earlier (its ``printable``)."""
    from dataclasses import replace

    receipt = from_printable(printable, tr=tr, terminal=terminal, now=now)
    return replace(receipt, title=tr.format("{title}（补打）", title=receipt.title))

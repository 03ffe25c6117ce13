"""What a receipt says, independent of paper width and printer commands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ReceiptTable:
    """A small table: one header row and rows with as many cells as the header."""

    header: Sequence[str]
    rows: Sequence[Sequence[str]] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "header", tuple(self.header))
        object.__setattr__(self, "rows", tuple(tuple(row) for row in self.rows))
        if not self.header:
            raise ValueError("a receipt table needs at least one column")
        for i, row in enumerate(self.rows):
            if len(row) != len(self.header):
                raise ValueError(
                    f"table row {i} has {len(row)} cells, the header has {len(self.header)}"
                )


@dataclass(frozen=True)
class Receipt:
    """A receipt or printed record (凭证/证明).

    ``lines`` are key–value pairs (``("姓名", "张*兰")``) — mask personal
    numbers before they get here; ``tables`` follow them; ``qr`` is an
    optional payload (e.g. a verification URL) printed as a QR code;
    ``verification_code`` is printed under it; ``footer`` may hold several
    lines separated by ``\\n``; ``created_at`` is printed as the print time.
    Sequences passed as lists are stored as tuples (the receipt is hashable).
    """

    title: str
    lines: Sequence[tuple[str, str]] = ()
    tables: Sequence[ReceiptTable] = ()
    qr: str | None = None
    footer: str = ""
    verification_code: str | None = None
    created_at: datetime = field(default_factory=datetime.now)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple((str(k), str(v)) for k, v in self.lines))
        object.__setattr__(self, "tables", tuple(self.tables))

"""What a receipt needs, sent with every query and certificate response so the
terminal can print without knowing the business: a title, key–value lines, an
optional table, notes and an optional verification code with its QR URL.
Personal data in it is already masked (GB/T 35273: de-identified on paper).
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class PrintLine(BaseModel):
    label: str
    value: str


class PrintTable(BaseModel):
    columns: list[str]
    rows: list[list[str]]


class Printable(BaseModel):
    """A receipt's content; the terminal lays it out for its paper width."""

    title: str
    lines: list[PrintLine] = Field(default_factory=list)
    table: PrintTable | None = None
    notes: list[str] = Field(default_factory=list)
    verification_code: str | None = None
    qr_url: str | None = None
    issued_at: str = Field(description="YYYY-MM-DD HH:MM, China Standard Time")


def yuan(fen: int) -> str:
    """``12345`` fen → ``"123.45元"``."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}元"


def lines(*pairs: tuple[str, str]) -> list[PrintLine]:
    return [PrintLine(label=k, value=v) for k, v in pairs]

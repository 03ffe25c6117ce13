"""What the card readers return. ``repr``/``str`` never show a full number.

Masks follow COMMON.md / payments-and-privacy.md: ID-type numbers keep the
first 4 and last 4 characters, a PAN keeps the first 6 and last 4 digits and
never exists unmasked outside the driver.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date


def mask_middle(value: str, keep_start: int, keep_end: int) -> str:
    """``value`` with everything but the first/last characters replaced by ``*``."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    hidden = len(value) - keep_start - keep_end
    return value[:keep_start] + "*" * hidden + value[len(value) - keep_end :]


def mask_id_number(value: str) -> str:
    """Mask an ID or social-security number: first 4 + last 4 (4102**********2422)."""
    return mask_middle(value, 4, 4)


def mask_pan(pan: str) -> str:
    """Mask a card number to the first 6 and last 4 digits."""
    return mask_middle(pan, 6, 4)


def mask_name(name: str) -> str:
    """Keep the surname only (张**), enough for a log line to be useful."""
    return name[:1] + "*" * (len(name) - 1) if name else ""


class CardKind(enum.StrEnum):
    SOCIAL_SECURITY = "social_security"
    BANK = "bank"


@dataclass(frozen=True, repr=False)
class SocialSecurityCard:
    """Data read from a social-security card's SSSE application (LD/T 32-2015).

    ``social_security_number`` is the holder's 18-character citizen ID number;
    ``sex`` is the GB/T 2261.1 code ("1" male, "2" female); ``nation`` the
    two-digit GB 3304 code ("01" = 汉族); ``birthplace_code`` the six-digit
    region code (empty when the issuer left it blank). Card number, number and
    name are always there; the other fields are empty (``birth_date`` None)
    when the card lacks their record, and ``missing`` names those fields.
    """

    card_number: str
    social_security_number: str
    name: str
    sex: str = ""
    nation: str = ""
    birth_date: date | None = None
    birthplace_code: str = ""
    missing: tuple[str, ...] = ()
    issued_on: date | None = None
    """发卡日期 (EF05 record 05); None when the issuer did not write it."""

    @property
    def masked_number(self) -> str:
        return mask_id_number(self.social_security_number)

    def __repr__(self) -> str:
        return (
            f"SocialSecurityCard(card_number={mask_middle(self.card_number, 2, 2)!r}, "
            f"social_security_number={self.masked_number!r}, name={mask_name(self.name)!r}, "
            f"sex={self.sex!r}, nation={self.nation!r}, missing={self.missing!r})"
        )

    __str__ = __repr__


@dataclass(frozen=True, repr=False)
class BankCard:
    """What the kiosk may know about a bank card: never the full PAN.

    ``pan_masked`` keeps the first 6 and last 4 digits; ``expiry`` is ``YYMM``;
    ``aid`` is the selected application's AID in upper-case hex; ``label``
    the application label (tag 50) when the card gives one.
    """

    pan_masked: str
    expiry: str
    aid: str
    label: str = ""

    def __repr__(self) -> str:
        return (
            f"BankCard(pan_masked={self.pan_masked!r}, expiry={self.expiry!r}, "
            f"aid={self.aid!r}, label={self.label!r})"
        )

    __str__ = __repr__

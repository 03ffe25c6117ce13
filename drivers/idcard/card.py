"""The identity read from a card, and the checks a screen needs before using it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from drivers.errors import CardError
from drivers.idcard.codes import mask_id
from protocol.i18n import N_

CardType = Literal["id", "J", "I", "Y"]
CARD_TYPES: tuple[CardType, ...] = ("id", "J", "I", "Y")


class IdCardExpired(CardError):
    """The card's validity ended before today. Screens say "身份证已过期"."""

    default_message = N_("身份证已过期，请使用有效证件或社保卡")


class IdCardNotYetValid(CardError):
    """The card's validity starts after today (a just-issued card read early)."""

    default_message = N_("身份证尚未生效，请使用有效证件或社保卡")


@dataclass(frozen=True, repr=False)
class IdCard:
    """One card's text fields, decoded; the photo and fingerprint as raw bytes.

    ``card_type`` is "id" (resident ID card), "J" (HK/Macau/Taiwan residence
    permit), "I" (foreign permanent resident card 2017) or "Y" (same, 2023).
    ``sex`` and ``nation`` are the printed words (男, 汉); ``nation`` is empty
    on permits, which carry ``nationality`` (GB/T 2659 alpha-3) instead.
    ``valid_to`` is None for a long-term (长期) card. ``id_number`` is the
    permit number on I cards. ``photo`` (1024 bytes, WLT) and ``fingerprint``
    are session-only sensitive data: excluded from ``repr`` and equality,
    zeroed by :meth:`wipe`. ``repr`` masks the ID number and the name.
    """

    name: str
    sex: str
    nation: str
    birth_date: date
    address: str
    id_number: str
    authority: str
    valid_from: date
    valid_to: date | None
    card_type: CardType = "id"
    english_name: str = ""
    nationality: str = ""
    pass_number: str = ""  # J: 通行证号码
    issue_count: int | None = None  # J: 签发次数
    renewal_count: int | None = None  # Y: 换证次数
    card_version: str = ""  # I: 证件版本号
    authority_code: str = ""  # I: 受理机关代码
    old_number_link: str = ""  # Y: 既往版本号码关联项
    photo: bytearray = field(default_factory=bytearray, repr=False, compare=False)
    fingerprint: bytearray = field(default_factory=bytearray, repr=False, compare=False)

    def __repr__(self) -> str:
        masked_name = self.name[:1] + "*" * max(len(self.name) - 1, 0)
        return (
            f"IdCard(card_type={self.card_type!r}, name={masked_name!r}, "
            f"id_number={mask_id(self.id_number)!r}, valid_to={self.valid_to!r})"
        )

    @property
    def masked_id_number(self) -> str:
        """The ID number as screens, receipts and logs show it (4101**********1234)."""
        return mask_id(self.id_number)

    def is_expired(self, today: date) -> bool:
        """True when ``today`` is after the last valid day (a 长期 card never expires)."""
        return self.valid_to is not None and today > self.valid_to

    def age(self, today: date) -> int:
        """Completed years of age on ``today``."""
        years = today.year - self.birth_date.year
        if (today.month, today.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def wipe(self) -> None:
        """Overwrite the photo and fingerprint bytes in place (end of session)."""
        for buf in (self.photo, self.fingerprint):
            buf[:] = bytes(len(buf))


def ensure_usable(card: IdCard, today: date) -> IdCard:
    """Return ``card`` when it is valid on ``today``.

    Raises :class:`IdCardExpired` (msgid "身份证已过期…") when the validity
    ended, :class:`IdCardNotYetValid` when it has not started. The reader does
    not call this itself: a screen may still want the expired card's name to
    say whom it belongs to, so the decision stays with the flow.
    """
    if card.is_expired(today):
        raise IdCardExpired(f"card valid to {card.valid_to}, today {today}", code="expired")
    if today < card.valid_from:
        raise IdCardNotYetValid(
            f"card valid from {card.valid_from}, today {today}", code="not_yet_valid"
        )
    return card

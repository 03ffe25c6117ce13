"""The session's :class:`~kiosk.session.Identity` from the card a person presented.

Both readers tell the same few facts about the holder, under different names
and in different forms: the ID card (:class:`drivers.idcard.IdCard`) calls the
citizen ID number ``id_number``, prints an address and gives sex and nation as
the printed words (女, 汉); the social-security card
(:class:`drivers.smartcard.SocialSecurityCard`) holds the same number as
``social_security_number``, has no address and gives sex and nation as GB/T
2261.1 and GB 3304 codes ("2", "01"). Those differences are data
(:data:`CARD_FIELDS`), so there is one builder; another card type is another
row, not another copy of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk.session import Identity
from protocol.person_session import photo_digest

if TYPE_CHECKING:
    from drivers.idcard import IdCard
    from drivers.smartcard import SocialSecurityCard


def _as_printed(value: str) -> str:
    return value


def _code_word(table: str) -> Callable[[str], str]:
    """Decode a GB code with the ID card's tables (the words the ID card prints),
    so an Identity says 女/汉 whichever card it came from. An unknown code is
    kept as it is rather than dropped: it is still what the card says."""

    def decode(code: str) -> str:
        # Imported when a card is read, not at start (lazy imports: see bench/).
        from drivers.idcard import codes

        words: dict[str, str] = getattr(codes, table)
        return words.get(code, code)

    return decode


@dataclass(frozen=True)
class CardFields:
    """Where one card type keeps what an :class:`Identity` needs."""

    source: str
    """``Identity.source``: which reader the card came through."""
    id_number: str
    """The attribute holding the citizen ID number."""
    address: str | None
    """The attribute holding the address; None when the card carries none."""
    sex: Callable[[str], str]
    nation: Callable[[str], str]
    """Turn the card's sex and nation into the printed words."""
    wipes: bool
    """The card object holds raw bytes (photo, fingerprint) to zero at session end."""


CARD_FIELDS: dict[str, CardFields] = {
    "IdCard": CardFields(
        source="idcard",
        id_number="id_number",
        address="address",
        sex=_as_printed,
        nation=_as_printed,
        wipes=True,
    ),
    "SocialSecurityCard": CardFields(
        source="sscard",
        id_number="social_security_number",
        address=None,
        sex=_code_word("SEX"),
        nation=_code_word("NATION"),
        wipes=False,
    ),
}


def card_evidence(card: IdCard | SocialSecurityCard) -> dict[str, Any] | None:
    """What only this card holds, as the hub's ``POST /person-sessions`` takes it
    (DESIGN §7): for an ID card the SHA-256 of its photo block, its validity
    and issuing authority; for a social-security card its number and 发卡日期.
    None for a social-security card that carries no 发卡日期: its holder is
    served what needs no person session, and told to use the ID card."""
    raw: Any = card
    if type(card).__name__ == "IdCard":
        valid_to = raw.valid_to
        return {
            "kind": "idcard",
            "id_number": raw.id_number,
            "photo_sha256": photo_digest(raw.photo),
            "valid_from": raw.valid_from.isoformat(),
            "valid_to": valid_to.isoformat() if valid_to is not None else None,
            "authority": raw.authority,
        }
    issued = getattr(raw, "issued_on", None)
    if issued is None:
        return None
    return {"kind": "sscard", "card_number": raw.card_number, "issued_on": issued.isoformat()}


def identity_from_card(card: IdCard | SocialSecurityCard) -> Identity:
    """The session identity of ``card``; TypeError for a card type without a row
    in :data:`CARD_FIELDS`. An ID card is kept on the identity so that wiping
    the identity zeroes its photo; the evidence is taken before that."""
    kind = type(card).__name__
    fields = CARD_FIELDS.get(kind)
    if fields is None:
        raise TypeError(f"no identity fields for a {kind}")
    raw: Any = card
    return Identity(
        source=fields.source,
        name=card.name,
        id_number=getattr(raw, fields.id_number),
        birth_date=card.birth_date,
        sex=fields.sex(card.sex),
        nation=fields.nation(card.nation),
        address=getattr(raw, fields.address) if fields.address else "",
        card=raw if fields.wipes else None,
        evidence=card_evidence(card),
    )

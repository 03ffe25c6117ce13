"""Resident ID card (二代证) reader: SAM frames over a serial line.

The public face of the package; the pieces live in one module per job:
``frames`` (bytes on the line), ``text`` (the 256-byte text block layouts),
``codes`` (sex, nation, GB 11643), ``status`` (SW3 codes → errors),
``card`` (:class:`IdCard`), ``transport`` (the serial port), ``reader``
(:class:`IdCardReader`) and ``watcher`` (:class:`IdCardWatcher`).

Expired cards: :meth:`IdCardReader.read_card` returns them as read; the flow
calls :func:`ensure_usable` (raises :class:`IdCardExpired`, msgid
"身份证已过期…") or checks :meth:`IdCard.is_expired`.
"""

from drivers.idcard.card import (
    CARD_TYPES,
    CardType,
    IdCard,
    IdCardExpired,
    IdCardNotYetValid,
    ensure_usable,
)
from drivers.idcard.codes import mask_id, validate_id_number
from drivers.idcard.reader import IdCardReader, format_sam_id
from drivers.idcard.status import (
    SW3_CODES,
    CardNotGenuine,
    CardReadFailed,
    NoCard,
    NoContent,
    ReaderProtocolError,
    SamFault,
    WrongCardType,
    error_for_sw3,
)
from drivers.idcard.watcher import IdCardWatcher

__all__ = [
    "CARD_TYPES",
    "SW3_CODES",
    "CardNotGenuine",
    "CardReadFailed",
    "CardType",
    "IdCard",
    "IdCardExpired",
    "IdCardNotYetValid",
    "IdCardReader",
    "IdCardWatcher",
    "NoCard",
    "NoContent",
    "ReaderProtocolError",
    "SamFault",
    "WrongCardType",
    "ensure_usable",
    "error_for_sw3",
    "format_sam_id",
    "mask_id",
    "validate_id_number",
]

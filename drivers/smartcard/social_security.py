"""Reading the SSSE application of a social-security card (LD/T 32-2015).

Command sequence and record layout from smartcards.md: SELECT the SSSE AID,
SELECT EF05 and READ RECORD 07 (card number), SELECT EF06 and READ RECORD
08–0D (number, name, sex, nation, birthplace, birth date). Each record is
``tag (= record number) | len | value``. Only 07, 08 and 09 are required:
the kiosk serves a person by number and name, and issuers differ in which
of the other records they wrote.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from drivers.errors import ProtocolError

from .apdu import (
    SW_FILE_NOT_FOUND,
    SW_RECORD_NOT_FOUND,
    SW_SECURITY_NOT_SATISFIED,
    CardTransport,
    Response,
    exchange,
    read_record,
    select_by_name,
    select_ef,
)
from .errors import CardNotReadableHere, UnreadableReason
from .models import SocialSecurityCard

log = logging.getLogger(__name__)

# "sx1.sh.社会保障" in GBK (smartcards.md).
SSSE_AID = b"sx1.sh." + "社会保障".encode("gbk")
EF_CARD_INFO = 0xEF05
EF_HOLDER = 0xEF06

REC_ISSUED_ON = 0x05  # 发卡日期, BCD YYYYMMDD
REC_CARD_NUMBER = 0x07
REC_SSN = 0x08
REC_NAME = 0x09
REC_SEX = 0x0A
REC_NATION = 0x0B
REC_BIRTHPLACE = 0x0C
REC_BIRTH_DATE = 0x0D

# ISO 7816-4 READ RECORD P2 = 00: "first record with identifier P1" in the
# current EF — on these cards identifier = record number = tag.
P2_CURRENT_EF = 0x00

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number_valid(number: str) -> bool:
    """GB 11643-1999 check character of an 18-character citizen ID number."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def bcd_digits(value: bytes) -> str:
    """BCD bytes as a digit string; ProtocolError on a nibble above 9."""
    digits = value.hex()
    if not digits.isdigit():
        raise ProtocolError("BCD field holds a non-decimal nibble")
    return digits


def parse_record(record: int, data: bytes) -> bytes:
    """The value of one ``tag | len | value`` record, checked against ``record``."""
    if len(data) < 2 or data[0] != record or data[1] > len(data) - 2:
        raise ProtocolError(f"record {record:02X} malformed ({len(data)} bytes)")
    return data[2 : 2 + data[1]]


def _fixed(value: bytes, length: int, what: str) -> bytes:
    if len(value) != length:
        raise ProtocolError(f"{what} record has {len(value)} bytes, expected {length}")
    return value


def select_ssse(transport: CardTransport) -> None:
    """Select SSSE; CardNotReadableHere(UNKNOWN_CARD) when the card has none."""
    response = exchange(transport, select_by_name(SSSE_AID))
    if response.sw == SW_FILE_NOT_FOUND:
        raise CardNotReadableHere(
            UnreadableReason.UNKNOWN_CARD, "no SSSE application", code=response.sw
        )
    if not response.ok:
        raise ProtocolError(f"SELECT SSSE answered {response.sw:04X}", code=response.sw)


def _read_response(transport: CardTransport, record: int) -> Response:
    response = exchange(transport, read_record(record, P2_CURRENT_EF))
    if response.sw == SW_SECURITY_NOT_SATISFIED:
        # Third-generation / some regional cards want PSAM authentication first.
        raise CardNotReadableHere(
            UnreadableReason.PSAM_REQUIRED,
            f"READ RECORD {record:02X} needs PSAM authentication",
            code=response.sw,
        )
    return response


def _check(record: int, response: Response) -> bytes:
    if not response.ok:
        raise ProtocolError(
            f"READ RECORD {record:02X} answered {response.sw:04X}", code=response.sw
        )
    return parse_record(record, response.data)


def _read(transport: CardTransport, record: int) -> bytes:
    """The value of a record the read cannot do without."""
    return _check(record, _read_response(transport, record))


def _select(transport: CardTransport, fid: int) -> None:
    response = exchange(transport, select_ef(fid))
    if not response.ok:
        raise ProtocolError(f"SELECT {fid:04X} answered {response.sw:04X}", code=response.sw)


def _text(value: bytes, encoding: str) -> str:
    try:
        return value.rstrip(b"\x00 ").decode(encoding).strip()
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"field is not valid {encoding}") from exc


def _sex(value: bytes) -> str:
    sex_raw = _fixed(value, 1, "sex")
    # The sex code is one "an" byte ("1"/"2"); some issuers store it binary.
    return chr(sex_raw[0]) if sex_raw[:1] in (b"1", b"2", b"9", b"0") else str(sex_raw[0])


def _nation(value: bytes) -> str:
    return bcd_digits(_fixed(value, 1, "nation"))


def _birthplace(value: bytes) -> str:
    birthplace = bcd_digits(_fixed(value, 3, "birthplace"))
    return birthplace if birthplace.strip("0") else ""  # all zeros: left blank by the issuer


def _birth_date(value: bytes) -> date:
    birth = bcd_digits(_fixed(value, 4, "birth date"))
    try:
        return date(int(birth[0:4]), int(birth[4:6]), int(birth[6:8]))
    except ValueError as exc:
        raise ProtocolError("birth date record is not a valid date") from exc


# Holder records the kiosk does not need to serve the person: a card without
# one (an issuer that never wrote 出生地 0C answers READ RECORD with 6A83) or
# with one it cannot parse is still read, and the field is named in
# SocialSecurityCard.missing. Field name -> (record, parser).
OPTIONAL_RECORDS: dict[str, tuple[int, Callable[[bytes], Any]]] = {
    "sex": (REC_SEX, _sex),
    "nation": (REC_NATION, _nation),
    "birthplace_code": (REC_BIRTHPLACE, _birthplace),
    "birth_date": (REC_BIRTH_DATE, _birth_date),
}


def _read_optional(transport: CardTransport) -> tuple[dict[str, Any], list[str]]:
    """The optional holder records that could be read, and for the log the
    ones that could not, with why (absent or malformed)."""
    values: dict[str, Any] = {}
    lacking: list[str] = []
    for field, (record, parse) in OPTIONAL_RECORDS.items():
        response = _read_response(transport, record)
        if response.sw == SW_RECORD_NOT_FOUND:
            lacking.append(f"{field} ({record:02X} absent)")
            continue
        value = _check(record, response)  # any other refusal still fails the read
        try:
            values[field] = parse(value)
        except ProtocolError:
            lacking.append(f"{field} ({record:02X} malformed)")
    return values, lacking


def _issue_date(transport: CardTransport) -> date | None:
    """发卡日期 of the selected EF05, or None when the issuer did not write it (or
    wrote something that is not a date): with the card number it is what the
    hub checks to open a person session, so a card without it is still read."""
    response = _read_response(transport, REC_ISSUED_ON)
    if response.sw == SW_RECORD_NOT_FOUND:
        return None
    try:
        return _birth_date(_check(REC_ISSUED_ON, response))
    except ProtocolError:
        log.warning("social-security card issue date record is malformed")
        return None


def read_social_security_card(transport: CardTransport) -> SocialSecurityCard:
    """Run the SSSE read on a connected card. Raises CardError/ProtocolError subclasses.

    Only the card number (07), the social security number (08) and the name
    (09) are required; the other holder records are optional
    (:data:`OPTIONAL_RECORDS`) and those the card lacks are listed in
    ``missing`` (and logged by name, never by value).
    """
    select_ssse(transport)
    _select(transport, EF_CARD_INFO)
    card_number = _text(_read(transport, REC_CARD_NUMBER), "ascii")
    issued_on = _issue_date(transport)

    _select(transport, EF_HOLDER)
    ssn = _text(_read(transport, REC_SSN), "ascii")
    if not id_number_valid(ssn):
        raise ProtocolError("social security number fails the GB 11643 check")
    name = _text(_read(transport, REC_NAME), "gbk")
    if not card_number or not name:
        raise ProtocolError("card number or name record is empty")
    values, lacking = _read_optional(transport)
    if lacking:
        log.warning("social-security card read without %s", ", ".join(lacking))
    return SocialSecurityCard(
        card_number=card_number,
        social_security_number=ssn,
        name=name,
        missing=tuple(f for f in OPTIONAL_RECORDS if f not in values),
        issued_on=issued_on,
        **values,
    )

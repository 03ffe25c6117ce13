"""Reading the SSSE application of a social-security card (LD/T 32-2015).

Command sequence and record layout from smartcards.md: SELECT the SSSE AID,
SELECT EF05 and READ RECORD 07 (card number), SELECT EF06 and READ RECORD
08–0D (number, name, sex, nation, birthplace, birth date). Each record is
``tag (= record number) | len | value``.
"""

from __future__ import annotations

from datetime import date

from drivers.errors import ProtocolError

from .apdu import (
    SW_FILE_NOT_FOUND,
    SW_SECURITY_NOT_SATISFIED,
    CardTransport,
    exchange,
    read_record,
    select_by_name,
    select_ef,
)
from .errors import CardNotReadableHere, UnreadableReason
from .models import SocialSecurityCard

# "sx1.sh.社会保障" in GBK (smartcards.md).
SSSE_AID = b"sx1.sh." + "社会保障".encode("gbk")
EF_CARD_INFO = 0xEF05
EF_HOLDER = 0xEF06

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


def _read(transport: CardTransport, record: int) -> bytes:
    response = exchange(transport, read_record(record, P2_CURRENT_EF))
    if response.sw == SW_SECURITY_NOT_SATISFIED:
        # Third-generation / some regional cards want PSAM authentication first.
        raise CardNotReadableHere(
            UnreadableReason.PSAM_REQUIRED,
            f"READ RECORD {record:02X} needs PSAM authentication",
            code=response.sw,
        )
    if not response.ok:
        raise ProtocolError(
            f"READ RECORD {record:02X} answered {response.sw:04X}", code=response.sw
        )
    return parse_record(record, response.data)


def _select(transport: CardTransport, fid: int) -> None:
    response = exchange(transport, select_ef(fid))
    if not response.ok:
        raise ProtocolError(f"SELECT {fid:04X} answered {response.sw:04X}", code=response.sw)


def _text(value: bytes, encoding: str) -> str:
    try:
        return value.rstrip(b"\x00 ").decode(encoding).strip()
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"field is not valid {encoding}") from exc


def read_social_security_card(transport: CardTransport) -> SocialSecurityCard:
    """Run the SSSE read on a connected card. Raises CardError/ProtocolError subclasses."""
    select_ssse(transport)
    _select(transport, EF_CARD_INFO)
    card_number = _text(_read(transport, REC_CARD_NUMBER), "ascii")

    _select(transport, EF_HOLDER)
    ssn = _text(_read(transport, REC_SSN), "ascii")
    if not id_number_valid(ssn):
        raise ProtocolError("social security number fails the GB 11643 check")
    name = _text(_read(transport, REC_NAME), "gbk")
    sex_raw = _fixed(_read(transport, REC_SEX), 1, "sex")
    # The sex code is one "an" byte ("1"/"2"); some issuers store it binary.
    sex = chr(sex_raw[0]) if sex_raw[:1] in (b"1", b"2", b"9", b"0") else str(sex_raw[0])
    nation = bcd_digits(_fixed(_read(transport, REC_NATION), 1, "nation"))
    birthplace = bcd_digits(_fixed(_read(transport, REC_BIRTHPLACE), 3, "birthplace"))
    if not birthplace.strip("0"):
        birthplace = ""  # left blank by the issuer
    birth = bcd_digits(_fixed(_read(transport, REC_BIRTH_DATE), 4, "birth date"))
    try:
        birth_date = date(int(birth[0:4]), int(birth[4:6]), int(birth[6:8]))
    except ValueError as exc:
        raise ProtocolError("birth date record is not a valid date") from exc
    if not card_number or not name:
        raise ProtocolError("card number or name record is empty")
    return SocialSecurityCard(
        card_number=card_number,
        social_security_number=ssn,
        name=name,
        sex=sex,
        nation=nation,
        birth_date=birth_date,
        birthplace_code=birthplace,
    )

"""The 256-byte text block in its four layouts, and the read reply around it.

Offsets and lengths are in bytes, from specs/idcard-reader.md "The 256-byte
text block". Text is UCS-2LE padded with spaces; the card-type character sits
at bytes 248-249 in every layout. Decoding never raises anything but
:class:`drivers.errors.ProtocolError`; encoding (used by the simulator and
the round-trip tests) raises ``ValueError`` for values that do not fit.
"""

from __future__ import annotations

from datetime import date

from drivers.errors import ProtocolError
from drivers.idcard.card import CardType, IdCard
from drivers.idcard.codes import NATION, NATION_CODE, SEX, SEX_CODE, validate_id_number

TEXT_LEN = 256
PHOTO_LEN = 1024
LONG_TERM = "长期"  # valid-to text of a long-term card
TYPE_FIELD = (248, 2)

# Field name -> (offset, length) in bytes, per layout.
Layout = dict[str, tuple[int, int]]

RESIDENT: Layout = {
    "name": (0, 30),
    "sex": (30, 2),
    "nation": (32, 4),
    "birth": (36, 16),
    "address": (52, 70),
    "id_number": (122, 36),
    "authority": (158, 30),
    "valid_from": (188, 16),
    "valid_to": (204, 16),
}
HMT_PERMIT: Layout = {**RESIDENT, "pass_number": (220, 18), "issue_count": (238, 4)}
FOREIGN_2017: Layout = {
    "english_name": (0, 120),
    "sex": (120, 2),
    "id_number": (122, 30),
    "nationality": (152, 6),
    "name": (158, 30),
    "valid_from": (188, 16),
    "valid_to": (204, 16),
    "birth": (220, 16),
    "card_version": (236, 4),
    "authority_code": (240, 8),
}
FOREIGN_2023: Layout = {
    "name": (0, 30),
    "sex": (30, 2),
    "renewal_count": (32, 4),
    "birth": (36, 16),
    "english_name": (52, 70),
    "id_number": (122, 36),
    "valid_from": (188, 16),
    "valid_to": (204, 16),
    "english_name_more": (220, 22),
    "nationality": (242, 6),
    "old_number_link": (250, 6),
}
LAYOUTS: dict[CardType, Layout] = {
    "id": RESIDENT,
    "J": HMT_PERMIT,
    "I": FOREIGN_2017,
    "Y": FOREIGN_2023,
}
_TYPE_CHAR: dict[str, CardType] = {" ": "id", "J": "J", "I": "I", "Y": "Y"}
_CHAR_FOR_TYPE: dict[CardType, str] = {v: k for k, v in _TYPE_CHAR.items()}


# --- decoding -------------------------------------------------------------


def _raw(block: bytes, field: tuple[int, int]) -> str:
    offset, length = field
    try:
        return block[offset : offset + length].decode("utf-16-le")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"text field at byte {offset} is not valid UCS-2") from exc


def _text(block: bytes, field: tuple[int, int]) -> str:
    # Padding is spaces per the spec; some readers pad with NULs, accept both.
    return _raw(block, field).rstrip(" \x00")


def _date(value: str, what: str) -> date:
    if len(value) != 8 or not value.isascii() or not value.isdigit():
        raise ProtocolError(f"{what} is not a YYYYMMDD date")
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError as exc:
        raise ProtocolError(f"{what} is not a calendar date") from exc


def _count(value: str, what: str) -> int | None:
    if not value:
        return None
    if not value.isascii() or not value.isdigit():
        raise ProtocolError(f"{what} is not a number")
    return int(value)


def _sex(value: str) -> str:
    try:
        return SEX[value]
    except KeyError:
        raise ProtocolError("unknown sex code") from None


def card_type_of(block: bytes) -> CardType:
    """The layout a text block uses, from its type character (bytes 248-249)."""
    if len(block) != TEXT_LEN:
        raise ProtocolError(f"text block is {len(block)} bytes, expected {TEXT_LEN}")
    char = _raw(block, TYPE_FIELD)
    try:
        return _TYPE_CHAR[char]
    except KeyError:
        raise ProtocolError(f"unknown card type character {char!r}") from None


def decode_text_block(block: bytes, photo: bytes = b"", fingerprint: bytes = b"") -> IdCard:
    """Decode a 256-byte text block of any of the four layouts into an :class:`IdCard`.

    Raises :class:`ProtocolError` for a wrong size, invalid UCS-2, unknown
    codes, impossible dates, or an 18-digit number failing its GB 11643 check.
    """
    card_type = card_type_of(block)
    layout = LAYOUTS[card_type]
    get = {name: _text(block, spec) for name, spec in layout.items()}
    valid_to_text = get["valid_to"]
    valid_to = None if valid_to_text == LONG_TERM else _date(valid_to_text, "valid-to date")
    id_number = get["id_number"]
    if card_type != "I" and not validate_id_number(id_number):
        raise ProtocolError("ID number fails the GB 11643 check")
    english_name = get.get("english_name", "")
    if card_type == "Y" and get["english_name_more"]:
        # The 2023 card continues a long English name at byte 220 (spec).
        english_name = _raw(block, layout["english_name"]) + get["english_name_more"]
    nation_code = get.get("nation", "")
    if card_type == "id" and nation_code not in NATION:
        raise ProtocolError("unknown nation code")
    # On a J permit the nation field is blank; tolerate whatever a reader leaves there.
    return IdCard(
        name=get["name"],
        sex=_sex(get["sex"]),
        nation=NATION.get(nation_code, ""),
        birth_date=_date(get["birth"], "birth date"),
        address=get.get("address", ""),
        id_number=id_number,
        authority=get.get("authority", ""),
        valid_from=_date(get["valid_from"], "valid-from date"),
        valid_to=valid_to,
        card_type=card_type,
        english_name=english_name,
        nationality=get.get("nationality", ""),
        pass_number=get.get("pass_number", ""),
        issue_count=_count(get.get("issue_count", ""), "issue count"),
        renewal_count=_count(get.get("renewal_count", ""), "renewal count"),
        card_version=get.get("card_version", ""),
        authority_code=get.get("authority_code", ""),
        old_number_link=get.get("old_number_link", ""),
        photo=bytearray(photo),
        fingerprint=bytearray(fingerprint),
    )


def decode_read_data(data: bytes, *, with_fingerprint: bool) -> IdCard:
    """Decode the data of a good read reply (everything after SW1 SW2 SW3).

    Layout (spec "Commands"): big-endian text length, photo length, and for
    the fingerprint read a fingerprint length, then the three blocks.
    """
    n_lengths = 3 if with_fingerprint else 2
    head = 2 * n_lengths
    if len(data) < head:
        raise ProtocolError(f"read reply too short: {len(data)} bytes")
    lengths = [int.from_bytes(data[i : i + 2], "big") for i in range(0, head, 2)]
    if lengths[0] != TEXT_LEN:
        raise ProtocolError(f"text length {lengths[0]}, expected {TEXT_LEN}")
    if len(data) != head + sum(lengths):
        raise ProtocolError(f"read reply has {len(data)} bytes, lengths say {head + sum(lengths)}")
    text_end = head + lengths[0]
    photo_end = text_end + lengths[1]
    return decode_text_block(
        data[head:text_end], photo=data[text_end:photo_end], fingerprint=data[photo_end:]
    )


# --- encoding (simulator, tests) --------------------------------------------


def _put(block: bytearray, field: tuple[int, int], value: str) -> None:
    offset, length = field
    raw = value.encode("utf-16-le")
    if len(raw) > length:
        raise ValueError(f"{value!r} does not fit in {length} bytes at offset {offset}")
    block[offset : offset + length] = raw + " ".encode("utf-16-le") * ((length - len(raw)) // 2)


def _ymd(value: date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def encode_text_block(card: IdCard) -> bytes:
    """The 256-byte block a card of ``card.card_type`` holds (inverse of decode)."""
    layout = LAYOUTS[card.card_type]
    block = bytearray(" ".encode("utf-16-le") * (TEXT_LEN // 2))
    values: dict[str, str] = {
        "name": card.name,
        "sex": SEX_CODE[card.sex],
        "nation": NATION_CODE[card.nation] if card.nation else "",
        "birth": _ymd(card.birth_date),
        "address": card.address,
        "id_number": card.id_number,
        "authority": card.authority,
        "valid_from": _ymd(card.valid_from),
        "valid_to": LONG_TERM if card.valid_to is None else _ymd(card.valid_to),
        "pass_number": card.pass_number,
        "issue_count": "" if card.issue_count is None else f"{card.issue_count:02d}",
        "renewal_count": "" if card.renewal_count is None else f"{card.renewal_count:02d}",
        "nationality": card.nationality,
        "card_version": card.card_version,
        "authority_code": card.authority_code,
        "old_number_link": card.old_number_link,
        "english_name": card.english_name,
        "english_name_more": "",
    }
    if card.card_type == "Y":
        first = layout["english_name"][1] // 2
        values["english_name"] = card.english_name[:first]
        values["english_name_more"] = card.english_name[first:]
    for name, spec in layout.items():
        _put(block, spec, values[name])
    _put(block, TYPE_FIELD, _CHAR_FOR_TYPE[card.card_type])
    return bytes(block)


def encode_read_data(card: IdCard, *, with_fingerprint: bool) -> bytes:
    """Data of a good read reply for ``card`` (lengths, text, photo, fingerprint)."""
    text = encode_text_block(card)
    photo = bytes(card.photo)
    parts = [len(text).to_bytes(2, "big"), len(photo).to_bytes(2, "big")]
    if with_fingerprint:
        parts.append(len(card.fingerprint).to_bytes(2, "big"))
    body = text + photo + (bytes(card.fingerprint) if with_fingerprint else b"")
    return b"".join(parts) + body

"""Byte-level tests: frames, text layouts, codes and SW3 mapping (no serial line)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from drivers.errors import CardError, DeviceError, ProtocolError
from drivers.idcard import (
    SW3_CODES,
    CardReadFailed,
    IdCard,
    IdCardExpired,
    IdCardNotYetValid,
    NoCard,
    SamFault,
    ensure_usable,
    error_for_sw3,
    format_sam_id,
    validate_id_number,
)
from drivers.idcard.frames import (
    FrameParser,
    Reply,
    checksum,
    decode_frame,
    encode_reply,
    encode_request,
)
from drivers.idcard.text import decode_read_data, decode_text_block, encode_text_block
from drivers.sim.demo_cards import SimCard, extra_test_cards, load_demo_cards

H = bytes.fromhex

# Complete request frames from specs/idcard-reader.md "Commands".
SPEC_REQUESTS = {
    (0x10, 0xFF): "AA AA AA 96 69 00 03 10 FF EC",
    (0x11, 0xFF): "AA AA AA 96 69 00 03 11 FF ED",
    (0x12, 0xFF): "AA AA AA 96 69 00 03 12 FF EE",
    (0x20, 0x01): "AA AA AA 96 69 00 03 20 01 22",
    (0x20, 0x02): "AA AA AA 96 69 00 03 20 02 21",
    (0x30, 0x01): "AA AA AA 96 69 00 03 30 01 32",
    (0x30, 0x10): "AA AA AA 96 69 00 03 30 10 23",
    (0x30, 0x03): "AA AA AA 96 69 00 03 30 03 30",
}


@pytest.mark.parametrize(("cmd_para", "frame"), SPEC_REQUESTS.items())
def test_requests_match_the_spec_bytes(cmd_para: tuple[int, int], frame: str) -> None:
    assert encode_request(*cmd_para) == H(frame)


def test_spec_replies_encode_and_decode() -> None:
    status = H("AA AA AA 96 69 00 04 00 00 90 94")
    found = H("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
    assert encode_reply(0x90) == status
    assert encode_reply(0x9F, bytes(4)) == found
    assert Reply.from_body(decode_frame(found)) == Reply(0, 0, 0x9F, bytes(4))
    assert checksum(H("00 03 11 FF")) == 0xED


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (H("AA AA AA 96 69 00 04 00 00 90 95"), "checksum"),
        (H("AA AA AA 96 69 00 05 00 00 90 94"), "LEN"),
        (H("AA AA AA 96 68 00 04 00 00 90 94"), "preamble"),
        (b"", "preamble"),
    ],
)
def test_decode_frame_rejects_corruption(frame: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        decode_frame(frame)


def test_parser_resyncs_after_garbage_and_false_preambles() -> None:
    good = encode_reply(0x9F, bytes(4))
    noise = b"\x00\xaa\xaa" + H("AA AA AA 96 69 FF FF") + encode_reply(0x90)[:-1] + b"\x00"
    parser = FrameParser()
    # Byte by byte, as a slow line would deliver it.
    bodies = [body for byte in noise + good for body in parser.feed(bytes([byte]))]
    assert bodies == [H("00 00 9F 00 00 00 00")]
    assert parser.bad_frames == 2  # the impossible LEN and the bad checksum
    assert parser.pending == 0


def test_parser_recovers_the_frame_after_one_that_lost_a_byte() -> None:
    """A reply that lost a byte swallows the start of the next; the next is still found."""
    first = encode_reply(0x90, bytes(8))
    lost = first[:9] + first[10:]
    second = encode_reply(0x9F, bytes(4))
    parser = FrameParser()
    assert parser.feed(lost + second) == [decode_frame(second)]
    assert parser.bad_frames == 1


def test_abandoning_a_stalled_frame_finds_a_frame_inside_it() -> None:
    """Noise that looks like a long frame's header hides a real reply until the line goes quiet."""
    good = encode_reply(0x9F, bytes(4))
    parser = FrameParser()
    assert parser.feed(H("AA AA AA 96 69 00 40") + good) == []  # LEN 64 wants more
    assert parser.in_frame
    bodies: list[bytes] = []
    for _ in range(16):  # bounded: each call drops one byte
        if bodies or not parser.in_frame:
            break
        bodies = parser.abandon_partial()
    assert bodies == [decode_frame(good)]
    assert not parser.in_frame


def test_a_truncated_frame_alone_is_dropped_on_abandon() -> None:
    first = encode_reply(0x90, bytes(8))
    parser = FrameParser()
    assert parser.feed(first[:-2]) == []
    assert parser.in_frame
    assert parser.abandon_partial() == []
    assert not parser.in_frame


def test_parser_keeps_a_preamble_prefix_split_across_reads() -> None:
    frame = encode_reply(0x90)
    parser = FrameParser()
    assert parser.feed(b"\x13\x37" + frame[:3]) == []
    assert parser.pending == 3
    assert parser.feed(frame[3:]) == [decode_frame(frame)]


# --- ID numbers and codes --------------------------------------------------


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("410225194103152422", True),
        ("11010519491231002X", True),  # the GB 11643 standard's own example
        ("11010519491231002x", True),
        ("410225194103152423", False),
        ("41022519410315242", False),
        ("4102251941031524222", False),
        ("41022519410315242A", False),
        ("４10225194103152422", False),  # full-width digit
    ],
)
def test_validate_id_number(number: str, valid: bool) -> None:
    assert validate_id_number(number) is valid


def test_every_demo_citizen_has_a_valid_number() -> None:
    data = json.loads(
        (Path(__file__).resolve().parents[2] / "config/demo/citizens.json").read_text("utf-8")
    )
    assert all(validate_id_number(c["id_number"]) for c in data["citizens"])


def test_sam_id_formatting() -> None:
    raw = bytes([5, 0, 1, 0]) + (20101014).to_bytes(4, "little") + (7).to_bytes(4, "little")
    raw += (1234567890).to_bytes(4, "little")
    assert format_sam_id(raw) == "05.01-20101014-000000007-1234567890"
    with pytest.raises(ProtocolError):
        format_sam_id(raw[:15])


# --- SW3 ------------------------------------------------------------------

SPEC_ERROR_CODES = [0x91, 0x10, 0x11, 0x21, 0x23, 0x24, 0x31, 0x32, 0x33, 0x40, 0x41, 0x47]
SPEC_ERROR_CODES += [0x60, 0x66, 0x80, 0x81]


@pytest.mark.parametrize("sw3", SPEC_ERROR_CODES)
def test_every_spec_sw3_maps_to_an_error_with_a_chinese_message(sw3: int) -> None:
    assert sw3 in SW3_CODES
    error = error_for_sw3(sw3, "test")
    assert isinstance(error, DeviceError)
    assert error.code == sw3
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error.user_message)
    assert f"0x{sw3:02X}" in error.detail


def test_sw3_classes() -> None:
    read_failed = error_for_sw3(0x41, "read")
    assert isinstance(read_failed, CardReadFailed)
    assert isinstance(read_failed, CardError)
    assert read_failed.user_message == "请重新放置身份证"
    assert isinstance(error_for_sw3(0x80, "find"), NoCard)
    assert isinstance(error_for_sw3(0x60, "status"), SamFault)
    assert isinstance(error_for_sw3(0x10, "x"), ProtocolError)
    unknown = error_for_sw3(0x55, "x")
    assert isinstance(unknown, SamFault)
    assert unknown.code == 0x55


# --- text blocks ------------------------------------------------------------


def _block_with(offset: int, text: str, base: bytes) -> bytes:
    raw = text.encode("utf-16-le")
    return base[:offset] + raw + base[offset + len(raw) :]


def test_resident_block_decodes_at_the_spec_offsets(demo_cards: dict[str, SimCard]) -> None:
    """Build a block by hand from the spec table, independent of the encoder."""
    block = " ".encode("utf-16-le") * 128
    for offset, text in [
        (0, "张秀兰"),
        (30, "2"),
        (32, "01"),
        (36, "19410315"),
        (52, "河南省兰考县东坝头镇张庄村3组18号"),
        (122, "410225194103152422"),
        (158, "兰考县公安局"),
        (188, "20160315"),
        (204, "长期"),
    ]:
        block = _block_with(offset, text, block)
    card = decode_text_block(block)
    assert card == demo_cards["zhang_xiulan"].card
    assert (card.sex, card.nation, card.valid_to, card.card_type) == ("女", "汉", None, "id")
    assert encode_text_block(card) == block


@pytest.mark.parametrize(
    ("offset", "text", "message"),
    [
        (248, "Z", "card type"),
        (36, "19411315", "calendar"),
        (36, "1941031X", "YYYYMMDD"),
        (30, "7", "sex"),
        (32, "77", "nation"),
        (122, "410225194103152423", "GB 11643"),
    ],
)
def test_corrupt_fields_raise_protocol_error(
    demo_cards: dict[str, SimCard], offset: int, text: str, message: str
) -> None:
    block = _block_with(offset, text, encode_text_block(demo_cards["li_jianguo"].card))
    with pytest.raises(ProtocolError, match=message):
        decode_text_block(block)


def test_invalid_ucs2_and_wrong_sizes_raise_protocol_error() -> None:
    lone_surrogate = b"\x00\xd8" + b" \x00" * 127
    with pytest.raises(ProtocolError, match="UCS-2"):
        decode_text_block(lone_surrogate)
    with pytest.raises(ProtocolError):
        decode_text_block(b" \x00" * 127)
    with pytest.raises(ProtocolError, match="lengths"):
        decode_read_data(H("01 00 04 00") + bytes(100), with_fingerprint=False)
    with pytest.raises(ProtocolError, match="text length"):
        decode_read_data(H("00 10 00 00") + bytes(16), with_fingerprint=False)


# --- IdCard -----------------------------------------------------------------

TODAY = date(2026, 11, 22)


def test_expired_demo_card_is_refused(demo_cards: dict[str, SimCard]) -> None:
    liu = demo_cards["liu_guiying"].card
    assert liu.valid_to == date(2026, 9, 30)
    assert liu.is_expired(TODAY)
    assert not liu.is_expired(date(2026, 9, 30))  # the last day is still valid
    with pytest.raises(IdCardExpired) as info:
        ensure_usable(liu, TODAY)
    assert info.value.user_message.startswith("身份证已过期")
    assert isinstance(info.value, CardError)


def test_valid_and_long_term_cards_are_usable(demo_cards: dict[str, SimCard]) -> None:
    for key in ("zhang_xiulan", "wang_fang", "zhao_lei"):
        card = demo_cards[key].card
        assert ensure_usable(card, TODAY) is card
    assert not demo_cards["zhang_xiulan"].card.is_expired(date(2099, 1, 1))  # 长期


def test_not_yet_valid_card_is_refused(demo_cards: dict[str, SimCard]) -> None:
    with pytest.raises(IdCardNotYetValid):
        ensure_usable(demo_cards["wang_fang"].card, date(2020, 11, 19))


def test_age(demo_cards: dict[str, SimCard]) -> None:
    assert demo_cards["zhang_xiulan"].card.age(TODAY) == 85
    assert demo_cards["liu_guiying"].card.age(date(2026, 9, 29)) == 79
    assert demo_cards["liu_guiying"].card.age(date(2026, 9, 30)) == 80
    assert demo_cards["zhao_lei"].card.age(TODAY) == 25


def test_repr_masks_and_photo_is_outside_eq(demo_cards: dict[str, SimCard]) -> None:
    card = decode_read_data(
        H("01 00 04 00")
        + encode_text_block(demo_cards["zhang_xiulan"].card)
        + bytes(range(256)) * 4,
        with_fingerprint=False,
    )
    text = repr(card)
    assert "410225194103152422" not in text
    assert "4102**********2422" in text
    assert "张秀兰" not in text
    assert "photo" not in text
    assert card == demo_cards["zhang_xiulan"].card  # photo differs, cards are equal
    assert card.photo[:4] == bytearray(b"\x00\x01\x02\x03")
    card.wipe()
    assert card.photo == bytearray(1024)


def test_wipe_zeroes_the_same_buffer() -> None:
    photo = bytearray(b"\xff" * 1024)
    card = IdCard(
        name="甲",
        sex="男",
        nation="汉",
        birth_date=date(2000, 1, 1),
        address="",
        id_number="11010519491231002X",
        authority="",
        valid_from=date(2020, 1, 1),
        valid_to=None,
        photo=photo,
    )
    card.wipe()
    assert photo == bytearray(1024)  # the session's reference is zeroed too


def test_demo_cards_are_exactly_the_demo_citizens() -> None:
    data = json.loads(
        (Path(__file__).resolve().parents[2] / "config/demo/citizens.json").read_text("utf-8")
    )
    cards = load_demo_cards()
    assert [c.key for c in cards] == [c["key"] for c in data["citizens"]]
    assert [c.card.id_number for c in cards] == [c["id_number"] for c in data["citizens"]]
    assert all(c.card.card_type == "id" and len(c.card.photo) == 1024 for c in cards)
    extra = extra_test_cards()
    assert sorted(c.card.card_type for c in extra) == ["I", "J", "Y"]
    assert not {c.key for c in extra} & {c.key for c in cards}
    tags = {c.tag for c in cards + extra}
    assert len(tags) == len(cards) + len(extra)  # select answers tell the cards apart

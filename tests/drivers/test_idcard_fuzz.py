"""Property tests: the frame and text-block parsers never fail but with DeviceError.

Thousands of examples per property run in CI (``max_examples=2000``); the
atheris target tests/fuzz/fuzz_idcard_frames.py runs the same checks for
longer, outside pytest.
"""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import replace
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.errors import DeviceError, ProtocolError
from drivers.idcard import CARD_TYPES, CardType, IdCard
from drivers.idcard.codes import NATION, SEX, id_check_char, validate_id_number
from drivers.idcard.frames import (
    MAX_LEN,
    FrameParser,
    Reply,
    Request,
    decode_frame,
    encode_frame,
)
from drivers.idcard.text import (
    decode_read_data,
    decode_text_block,
    encode_read_data,
    encode_text_block,
)

FUZZ = settings(
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

no_aa = st.binary(max_size=64).map(lambda b: b.replace(b"\xaa", b"\x55"))


@FUZZ
@given(st.binary(max_size=300))
def test_decode_frame_raises_only_protocol_error(data: bytes) -> None:
    try:
        body = decode_frame(data)
    except ProtocolError:
        return
    assert encode_frame(body) == data


@FUZZ
@given(st.lists(st.binary(max_size=80), max_size=20))
def test_parser_only_yields_checked_frames(chunks: list[bytes]) -> None:
    parser = FrameParser()
    bodies: list[bytes] = []
    for chunk in chunks:
        bodies += parser.feed(chunk)
    for _ in range(parser.pending + 1):  # bounded: each call drops a byte
        if not parser.in_frame:
            break
        bodies += parser.abandon_partial()
    for body in bodies:
        assert decode_frame(encode_frame(body)) == body
        try:
            Reply.from_body(body)
            Request.from_body(body)
        except DeviceError:
            pass


@FUZZ
@given(
    body=st.binary(min_size=3, max_size=MAX_LEN - 1),
    prefix=no_aa,
    suffix=no_aa,
    cuts=st.lists(st.integers(min_value=0, max_value=3000), max_size=8),
)
def test_round_trip_through_noise_and_arbitrary_chunking(
    body: bytes, prefix: bytes, suffix: bytes, cuts: list[int]
) -> None:
    frame = encode_frame(body)
    assert decode_frame(frame) == body
    stream = prefix + frame + suffix
    bounds = sorted({0, len(stream), *(c % (len(stream) + 1) for c in cuts)})
    parser = FrameParser()
    bodies: list[bytes] = []
    for start, end in itertools.pairwise(bounds):
        bodies += parser.feed(stream[start:end])
    assert bodies == [body]


@FUZZ
@given(st.binary(min_size=256, max_size=256))
def test_text_block_decoder_raises_only_protocol_error(block: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        decode_text_block(block)


@FUZZ
@given(st.binary(max_size=1400), st.booleans())
def test_read_data_decoder_raises_only_protocol_error(data: bytes, fingerprint: bool) -> None:
    with contextlib.suppress(ProtocolError):
        decode_read_data(data, with_fingerprint=fingerprint)


# --- valid cards of every layout round-trip ------------------------------------

cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
latin = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ ,-'")
digits = st.sampled_from("0123456789")
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))


def _text(
    alphabet: st.SearchStrategy[str], max_size: int, min_size: int = 0
) -> st.SearchStrategy[str]:
    return (
        st.text(alphabet, min_size=min_size, max_size=max_size)
        .map(lambda s: s.rstrip(" "))
        .filter(lambda s: len(s) >= min_size)
    )


def _id_number(first: str = "") -> st.SearchStrategy[str]:
    body = st.text(digits, min_size=17 - len(first), max_size=17 - len(first))
    return body.map(lambda b: first + b + id_check_char(first + b))


@st.composite
def cards(draw: st.DrawFn) -> IdCard:
    card_type: CardType = draw(st.sampled_from(CARD_TYPES))
    common = IdCard(
        name=draw(_text(cjk, 15, 1)),
        sex=draw(st.sampled_from(sorted(SEX.values()))),
        nation="",
        birth_date=draw(dates),
        address="",
        id_number=draw(_id_number()),
        authority="",
        valid_from=draw(dates),
        valid_to=draw(st.none() | dates),
        card_type=card_type,
        photo=bytearray(draw(st.binary(min_size=1024, max_size=1024))),
        fingerprint=bytearray(draw(st.sampled_from([0, 512, 1024])) * b"\x5a"),
    )
    letters = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    if card_type in ("id", "J"):
        card = replace(
            common,
            address=draw(_text(cjk | digits, 35)),
            authority=draw(_text(cjk, 15)),
        )
        if card_type == "id":
            return replace(card, nation=draw(st.sampled_from(sorted(NATION.values()))))
        return replace(
            card,
            pass_number=draw(_text(st.sampled_from("HMT0123456789"), 9)),
            issue_count=draw(st.none() | st.integers(0, 99)),
        )
    if card_type == "I":
        return replace(
            common,
            name=draw(_text(cjk, 15)),
            id_number=draw(_text(latin | digits, 15)),
            english_name=draw(_text(latin, 60)),
            nationality=draw(_text(letters, 3)),
            card_version=draw(_text(digits, 2)),
            authority_code=draw(_text(digits, 4)),
        )
    return replace(
        common,
        id_number=draw(_id_number("9")),
        english_name=draw(_text(latin, 46)),
        nationality=draw(_text(letters, 3)),
        renewal_count=draw(st.none() | st.integers(0, 99)),
        old_number_link=draw(_text(digits, 3)),
    )


@FUZZ
@given(cards())
def test_every_layout_round_trips(card: IdCard) -> None:
    block = encode_text_block(card)
    assert len(block) == 256
    decoded = decode_text_block(block)
    assert decoded == card
    with_fp = decode_read_data(encode_read_data(card, with_fingerprint=True), with_fingerprint=True)
    assert with_fp == card
    assert with_fp.photo == card.photo
    assert with_fp.fingerprint == card.fingerprint


@FUZZ
@given(cards(), st.integers(0, 255), st.binary(min_size=1, max_size=40))
def test_corrupted_valid_blocks_raise_only_protocol_error(
    card: IdCard, offset: int, noise: bytes
) -> None:
    block = bytearray(encode_text_block(card))
    block[offset : offset + len(noise)] = noise[: 256 - offset]
    with contextlib.suppress(ProtocolError):
        decode_text_block(bytes(block[:256]))


@FUZZ
@given(st.text(max_size=30))
def test_validate_id_number_never_raises(text: str) -> None:
    assert validate_id_number(text) in (True, False)


@FUZZ
@given(_id_number(), st.sampled_from("0123456789X"))
def test_exactly_one_check_character_is_valid(number: str, other: str) -> None:
    assert validate_id_number(number)
    assert validate_id_number(number[:17] + other) is (other == number[17])

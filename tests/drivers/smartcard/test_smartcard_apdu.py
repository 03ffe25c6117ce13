"""APDU, TLV and card-record logic tested with bytes, through a scripted transport."""

from __future__ import annotations

import logging
from datetime import date, datetime

import pytest

from drivers.errors import ProtocolError
from drivers.smartcard import CommandApdu, exchange, mask_id_number, mask_pan, tlv
from drivers.smartcard.bank import _CardData, build_pdol_data, get_processing_options
from drivers.smartcard.social_security import (
    id_number_valid,
    parse_record,
    read_social_security_card,
)


class ScriptedTransport:
    """Answers each expected command with a canned response; fails on anything else."""

    def __init__(self, script: list[tuple[str, str]]) -> None:
        self.script = [(bytes.fromhex(c), bytes.fromhex(r)) for c, r in script]
        self.sent: list[bytes] = []

    def connect(self) -> bytes:
        return b"\x3b\x00"

    def disconnect(self) -> None:
        pass

    def transmit(self, apdu: bytes) -> tuple[bytes, int, int]:
        self.sent.append(apdu)
        expected, response = self.script.pop(0)
        assert apdu == expected, f"sent {apdu.hex()} expected {expected.hex()}"
        return response[:-2], response[-2], response[-1]


def test_61xx_is_fetched_with_get_response_and_concatenated() -> None:
    transport = ScriptedTransport(
        [
            ("00B2070000", "6105"),
            ("00C0000005", "0102030405" + "6103"),
            ("00C0000003", "AABBCC9000"),
        ]
    )
    response = exchange(transport, CommandApdu(0x00, 0xB2, 0x07, 0x00, le=0))
    assert response.ok
    assert response.data == bytes.fromhex("0102030405AABBCC")
    assert not transport.script


def test_6cxx_resends_with_exact_le() -> None:
    transport = ScriptedTransport(
        [("00B2070000", "6C0B"), ("00B207000B", "0709" + b"H41020001".hex() + "9000")]
    )
    response = exchange(transport, CommandApdu(0x00, 0xB2, 0x07, 0x00, le=0))
    assert response.sw == 0x9000
    assert response.data[:2] == b"\x07\x09"


def test_other_status_words_are_returned_not_raised() -> None:
    transport = ScriptedTransport([("00B2080000", "6982")])
    assert exchange(transport, CommandApdu(0x00, 0xB2, 0x08, 0x00, le=0)).sw == 0x6982


def test_endless_61xx_is_a_protocol_error_not_a_hang() -> None:
    script = [("00B2070000", "6101")] + [("00C0000001", "006101")] * 16
    with pytest.raises(ProtocolError, match="rounds"):
        exchange(ScriptedTransport(script), CommandApdu(0x00, 0xB2, 0x07, 0x00, le=0))


def test_command_apdu_cases() -> None:
    assert CommandApdu(0, 0xA4, 2, 0, b"\xef\x05").to_bytes().hex() == "00a4020002ef05"
    assert CommandApdu(0, 0xB2, 7, 0, le=0).to_bytes().hex() == "00b2070000"
    assert CommandApdu(0x80, 0xA8, 0, 0, b"\x83\x00", 0).to_bytes().hex() == "80a80000028300" + "00"


def test_tlv_nested_and_multibyte_tags() -> None:
    data = tlv.encode(0x70, tlv.encode(0x5F24, b"\x31\x05\x31") + tlv.encode(0x57, b"\x12"))
    assert tlv.find(data, 0x5F24) == b"\x31\x05\x31"
    assert tlv.find(data, 0x57) == b"\x12"
    assert tlv.find(data, 0x5A) is None
    long_value = bytes(200)
    assert tlv.find(tlv.encode(0x70, tlv.encode(0x9F4B, long_value)), 0x9F4B) == long_value


@pytest.mark.parametrize("raw", ["5A08621700", "5F", "70", "7083", "5A8301"])
def test_malformed_tlv_is_a_protocol_error_without_the_bytes(raw: str) -> None:
    with pytest.raises(ProtocolError) as info:
        tlv.parse(bytes.fromhex(raw))
    assert "6217" not in str(info.value)


def test_pdol_is_filled_with_the_requested_lengths() -> None:
    pdol = bytes.fromhex("9F66049F02069A039F3704DF7105")
    data = build_pdol_data(
        pdol, now=lambda: datetime(2026, 11, 22, 9, 30), rng=lambda n: b"\xa5" * n
    )
    assert len(data) == 4 + 6 + 3 + 4 + 5
    assert data[0:4] == bytes.fromhex("26000000")
    assert data[10:13] == bytes.fromhex("261122")
    assert data[13:17] == b"\xa5" * 4
    assert data[17:] == bytes(5)  # unknown tag: zeros


def test_gpo_format_1_response() -> None:
    transport = ScriptedTransport(
        [("80A80000028300" + "00", "800A7C00" + "10010200" + "18010100" + "9000")]
    )
    afl, _items = get_processing_options(transport, b"")
    assert afl == bytes.fromhex("1001020018010100")


def test_pan_failing_luhn_never_appears_in_the_error() -> None:
    found = _CardData()
    bad_pan = "6217001234567890123"  # last digit wrong
    found.take(tlv.parse(tlv.encode(0x5A, bytes.fromhex(bad_pan + "F"))))
    with pytest.raises(ProtocolError) as info:
        found.masked()
    assert bad_pan not in str(info.value) and bad_pan[6:-4] not in repr(info.value)
    found.wipe()
    assert found.pan == bytearray()


def test_track2_gives_pan_and_expiry() -> None:
    found = _CardData()
    found.take(tlv.parse(tlv.encode(0x57, bytes.fromhex("6217001234567890122D31052200000000000F"))))
    assert found.expiry == "3105"
    assert found.masked() == "621700*********0122"


def test_ss_record_must_carry_its_own_tag() -> None:
    assert parse_record(0x07, bytes.fromhex("0703414243")) == b"ABC"
    with pytest.raises(ProtocolError):
        parse_record(0x08, bytes.fromhex("0703414243"))
    with pytest.raises(ProtocolError):
        parse_record(0x07, bytes.fromhex("0709414243"))


def test_masks_and_id_check() -> None:
    assert mask_id_number("410225194103152422") == "4102**********2422"
    assert mask_pan("6217001234567890122") == "621700*********0122"
    assert id_number_valid("410225194103152422")
    assert not id_number_valid("410225194103152423")


def test_tlv_encoding_against_hand_written_bytes() -> None:
    # The card simulator builds its records with tlv.encode: pin it to EMV Book 3 bytes
    # so a symmetric bug in encode and parse cannot hide.
    assert tlv.encode(0x5F24, bytes.fromhex("310531")).hex() == "5f2403310531"
    assert tlv.encode(0x70, bytes(200))[:3].hex() == "7081c8"
    assert tlv.encode(0x70, bytes(300))[:4].hex() == "7082012c"
    fci = bytes.fromhex("6F1A840E315041592E5359532E4444463031A5088801015F2D027A68")
    assert tlv.find(fci, 0x88) == b"\x01"
    assert tlv.find(fci, 0x84) == b"1PAY.SYS.DDF01"
    assert tlv.parse_dol(bytes.fromhex("9F66049F02069A03")) == [(0x9F66, 4), (0x9F02, 6), (0x9A, 3)]


# The SSSE read as the card sees it (smartcards.md): SELECT the application by its
# GBK name, SELECT EF05, READ RECORD 07 and 05 (发卡日期), SELECT EF06, READ RECORD
# 08–0D. Written out
# by hand so that the command bytes, not just the parser, are checked.
SELECT_SSSE = "00A404000F" + "7378312E73682EC9E7BBE1B1A3D5CF" + "00"
FCI_OK = "6F00" + "9000"
SS_SCRIPT_HEAD = [
    (SELECT_SSSE, FCI_OK),
    ("00A4020002EF05", "9000"),
    ("00B2070000", "0709" + b"H41020001".hex() + "9000"),
    ("00B2050000", "050420180612" + "9000"),  # 发卡日期 2018-06-12 (BCD)
    ("00A4020002EF06", "9000"),
    ("00B2080000", "0812" + b"410225194103152422".hex() + "9000"),
    ("00B2090000", "091E" + "D5C5D0E3C0BC".ljust(60, "0") + "9000"),  # 张秀兰 in GBK
]
REC_NOT_FOUND = "6A83"


def test_ss_card_without_birthplace_is_read_and_says_what_is_missing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    transport = ScriptedTransport(
        [
            *SS_SCRIPT_HEAD,
            ("00B20A0000", "0A0132" + "9000"),  # sex "2"
            ("00B20B0000", "0B0101" + "9000"),  # nation 01 (BCD)
            ("00B20C0000", REC_NOT_FOUND),  # 出生地 never written by this issuer
            ("00B20D0000", "0D0419410315" + "9000"),
        ]
    )
    caplog.set_level(logging.DEBUG)
    card = read_social_security_card(transport)
    assert not transport.script  # every command sent, in this order
    assert (card.card_number, card.social_security_number, card.name) == (
        "H41020001",
        "410225194103152422",
        "张秀兰",
    )
    assert (card.sex, card.nation, card.birth_date) == ("2", "01", date(1941, 3, 15))
    assert card.birthplace_code == ""
    assert card.issued_on == date(2018, 6, 12)
    assert card.missing == ("birthplace_code",)
    assert "birthplace_code (0C absent)" in caplog.text
    for personal in ("410225194103152422", "张秀兰", "H41020001", "19410315"):
        assert personal not in caplog.text


def test_ss_card_with_only_the_required_records_is_read() -> None:
    head = [*SS_SCRIPT_HEAD[:3], ("00B2050000", REC_NOT_FOUND), *SS_SCRIPT_HEAD[4:]]
    transport = ScriptedTransport(
        [*head, *((f"00B2{rec}0000", REC_NOT_FOUND) for rec in ("0A", "0B", "0C", "0D"))]
    )
    card = read_social_security_card(transport)
    assert card.name == "张秀兰"
    assert card.issued_on is None  # no 发卡日期: read, but it cannot open a person session
    assert (card.sex, card.nation, card.birth_date) == ("", "", None)
    assert card.missing == ("sex", "nation", "birthplace_code", "birth_date")


def test_ss_card_with_an_unreadable_optional_record_reports_it_missing() -> None:
    transport = ScriptedTransport(
        [
            *SS_SCRIPT_HEAD,
            ("00B20A0000", "0A0131" + "9000"),
            ("00B20B0000", "0B0101" + "9000"),
            ("00B20C0000", "0C03410225" + "9000"),
            ("00B20D0000", "0D0419411315" + "9000"),  # month 13: not a date
        ]
    )
    card = read_social_security_card(transport)
    assert card.birthplace_code == "410225"
    assert card.birth_date is None
    assert card.missing == ("birth_date",)


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ([*SS_SCRIPT_HEAD[:6], ("00B2090000", REC_NOT_FOUND)], "READ RECORD 09 answered 6A83"),
        ([*SS_SCRIPT_HEAD[:2], ("00B2070000", REC_NOT_FOUND)], "READ RECORD 07 answered 6A83"),
        ([*SS_SCRIPT_HEAD, ("00B20A0000", "6F00")], "READ RECORD 0A answered 6F00"),
    ],
    ids=["no-name", "no-card-number", "card-fault-on-optional"],
)
def test_ss_card_without_a_required_record_or_failing_is_not_read(
    script: list[tuple[str, str]], message: str
) -> None:
    with pytest.raises(ProtocolError, match=message):
        read_social_security_card(ScriptedTransport(script))

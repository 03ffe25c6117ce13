"""One Identity builder for both card types (kiosk.card_identity).

The cards are real driver objects: the ID card as the ID-card reader decodes
it from the SAM's text block, the social-security card as the smart-card
reader reads it from the emulated card OS, both for the same demo citizen, so
the two identities must agree.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from drivers.idcard.text import decode_text_block, encode_text_block
from drivers.sim.cards import SocialSecurityCardOS
from drivers.sim.demo_cards import load_demo_cards
from drivers.smartcard import BankCard, SimTransport, SmartCardReader
from kiosk.card_identity import identity_from_card
from protocol.person_session import demo_photo, photo_digest

CITIZENS = json.loads(
    (Path(__file__).resolve().parents[2] / "config/demo/citizens.json").read_text("utf-8")
)["citizens"]


def test_identity_from_an_id_card_keeps_the_card_to_wipe_its_photo() -> None:
    sim = next(c for c in load_demo_cards() if c.key == "zhang_xiulan")
    card = decode_text_block(encode_text_block(sim.card), photo=bytes(sim.card.photo))
    identity = identity_from_card(card)
    assert identity.source == "idcard"
    assert identity.name == "张秀兰"
    assert identity.id_number == "410225194103152422"
    assert identity.birth_date == date(1941, 3, 15)
    assert (identity.sex, identity.nation) == ("女", "汉")
    assert identity.address == "河南省兰考县东坝头镇张庄村3组18号"
    assert identity.card is card
    identity.wipe()
    assert not any(card.photo)


def test_identity_from_a_social_security_card_says_the_same_words() -> None:
    citizen = next(c for c in CITIZENS if c["key"] == "zhang_xiulan")
    with SmartCardReader.from_transport(SimTransport(SocialSecurityCardOS(citizen))) as reader:
        card = reader.read_social_security_card()
    identity = identity_from_card(card)
    assert identity.source == "sscard"
    assert identity.name == "张秀兰"
    assert identity.id_number == "410225194103152422"  # the card's social_security_number
    assert identity.birth_date == date(1941, 3, 15)
    # The card stores GB codes "2" and "01"; the identity says what the ID card prints.
    assert (identity.sex, identity.nation) == ("女", "汉")
    assert identity.address == ""
    assert identity.card is None


def test_a_card_type_without_fields_is_refused() -> None:
    bank_card = BankCard("621700******0122", "3105", "A000000333010101")
    with pytest.raises(TypeError, match="no identity fields for a BankCard"):
        identity_from_card(bank_card)  # type: ignore[arg-type]


def test_each_card_gives_the_evidence_only_it_holds_and_wiping_drops_it() -> None:
    """What opens the person session (DESIGN §7): the ID card's photo digest,
    validity and authority; the social-security card's number and 发卡日期."""
    sim = next(c for c in load_demo_cards() if c.key == "wang_fang")
    card = decode_text_block(encode_text_block(sim.card), photo=bytes(sim.card.photo))
    identity = identity_from_card(card)
    assert identity.evidence == {
        "kind": "idcard",
        "id_number": "410225198511203020",
        "photo_sha256": photo_digest(demo_photo("wang_fang")),  # what the hub's demo provider knows
        "valid_from": "2020-11-20",
        "valid_to": "2040-11-20",
        "authority": "兰考县公安局",
    }
    identity.wipe()
    assert identity.evidence is None
    citizen = next(c for c in CITIZENS if c["key"] == "wang_fang")
    with SmartCardReader.from_transport(SimTransport(SocialSecurityCardOS(citizen))) as reader:
        ss = identity_from_card(reader.read_social_security_card())
    assert ss.evidence == {"kind": "sscard", "card_number": "H41020003", "issued_on": "2020-03-18"}
    # A card whose issuer wrote no 发卡日期 gives none: no person session from it.
    without = {k: v for k, v in citizen.items() if k != "ss_card_issued"}
    with SmartCardReader.from_transport(SimTransport(SocialSecurityCardOS(without))) as reader:
        assert identity_from_card(reader.read_social_security_card()).evidence is None

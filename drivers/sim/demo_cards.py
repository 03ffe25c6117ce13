"""Cards for the ID-card simulator: the demo citizens plus permit test cards.

The demo cards are built from ``config/demo/citizens.json`` (shared with the
smart-card simulator and the hub's demo provider) so the kiosk demo, the hub
and the tests agree on who exists, and on the evidence only a card holds (its
photo, validity and authority) that opens a person session. The extra cards
exercise the three permit layouts (J, I, Y) of specs/idcard-reader.md and are for driver tests only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from drivers.idcard.card import IdCard
from drivers.idcard.codes import NATION, SEX, id_check_char
from drivers.idcard.text import LONG_TERM, PHOTO_LEN
from protocol.person_session import demo_photo

REPO_ROOT = Path(__file__).resolve().parents[2]
CITIZENS_JSON = REPO_ROOT / "config" / "demo" / "citizens.json"


@dataclass(frozen=True)
class SimCard:
    """A card that can be placed on the simulated reader.

    ``key`` names it (the citizen key for demo cards), ``card`` holds what the
    SAM returns (photo and fingerprint included), ``tag`` is the 8-byte
    answer to "select card", stable per card so the watcher can tell two
    cards apart.
    """

    key: str
    card: IdCard

    @property
    def tag(self) -> bytes:
        return hashlib.sha256(b"tag:" + self.key.encode()).digest()[:8]

    @property
    def label(self) -> str:
        """A short label for the operator's demo menu (name and masked number)."""
        return f"{self.card.name} {self.card.masked_id_number}"


def fake_photo(key: str, length: int = PHOTO_LEN) -> bytes:
    """The 1024-byte WLT photo of ``key``: the hub's demo provider checks a card's
    photo digest against the same bytes (:func:`protocol.person_session.demo_photo`)."""
    return demo_photo(key, length)


def fake_fingerprint(key: str, length: int) -> bytes:
    """Deterministic fingerprint template bytes (two 512-byte templates for 1024)."""
    return fake_photo("fp:" + key, length) if length else b""


def _parse_date(value: str) -> date:
    return date(int(value[:4]), int(value[4:6]), int(value[6:8]))


def load_demo_cards(path: Path = CITIZENS_JSON) -> list[SimCard]:
    """One resident ID card per demo citizen, in the file's order.

    Raises ``ValueError`` if an entry has an unknown code or a bad ID number,
    so a broken demo file fails loudly at start.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    cards: list[SimCard] = []
    for entry in data["citizens"]:
        key = entry["key"]
        number = entry["id_number"]
        if id_check_char(number[:17]) != number[17]:
            raise ValueError(f"demo citizen {key}: ID number check character is wrong")
        if entry["sex"] not in SEX or entry["nation"] not in NATION:
            raise ValueError(f"demo citizen {key}: unknown sex or nation code")
        valid_to = None if entry["valid_to"] == LONG_TERM else _parse_date(entry["valid_to"])
        card = IdCard(
            name=entry["name"],
            sex=SEX[entry["sex"]],
            nation=NATION[entry["nation"]],
            birth_date=_parse_date(entry["birth"]),
            address=entry["address"],
            id_number=number,
            authority=entry["authority"],
            valid_from=_parse_date(entry["valid_from"]),
            valid_to=valid_to,
            photo=bytearray(fake_photo(key)),
            fingerprint=bytearray(fake_fingerprint(key, 1024)),
        )
        cards.append(SimCard(key, card))
    return cards


def _with_check(first17: str) -> str:
    return first17 + id_check_char(first17)


def extra_test_cards() -> list[SimCard]:
    """One card for each permit layout: J (HK/Macau/Taiwan), I (2017), Y (2023).

    The Y card's English name is longer than 35 characters so it continues at
    byte 220; the J card carries one fingerprint template and the Y card none,
    so the three fingerprint lengths of the spec (0400/0200/0000) all occur.
    """
    hk = IdCard(
        name="陈家明",
        sex="男",
        nation="",
        birth_date=date(1990, 6, 15),
        address="河南省兰考县城关镇裕禄大道88号",
        id_number=_with_check("81000019900615003"),
        authority="兰考县公安局",
        valid_from=date(2024, 5, 20),
        valid_to=date(2029, 5, 20),
        card_type="J",
        pass_number="H12345678",
        issue_count=1,
        photo=bytearray(fake_photo("hk_chen")),
        fingerprint=bytearray(fake_fingerprint("hk_chen", 512)),
    )
    foreign_2017 = IdCard(
        name="史密斯",
        sex="男",
        nation="",
        birth_date=date(1985, 6, 1),
        address="",
        id_number="USA110085060101",
        authority="",
        valid_from=date(2019, 1, 10),
        valid_to=date(2029, 1, 10),
        card_type="I",
        english_name="SMITH, JOHN WILLIAM",
        nationality="USA",
        card_version="17",
        authority_code="1100",
        photo=bytearray(fake_photo("foreign_smith")),
        fingerprint=bytearray(fake_fingerprint("foreign_smith", 1024)),
    )
    foreign_2023 = IdCard(
        name="玛丽亚",
        sex="女",
        nation="",
        birth_date=date(1992, 11, 3),
        address="",
        id_number=_with_check("94172419921103002"),
        authority="",
        valid_from=date(2023, 12, 1),
        valid_to=date(2033, 12, 1),
        card_type="Y",
        english_name="GARCIA LOPEZ, MARIA FERNANDA ISABELLA",
        nationality="ESP",
        renewal_count=0,
        photo=bytearray(fake_photo("foreign_garcia")),
    )
    return [
        SimCard("hk_chen", hk),
        SimCard("foreign_smith", foreign_2017),
        SimCard("foreign_garcia", foreign_2023),
    ]

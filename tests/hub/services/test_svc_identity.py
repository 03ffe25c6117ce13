"""ID numbers (GB 11643) and the masks."""

from __future__ import annotations

from datetime import date

import pytest

from hub.services.identity import (
    InvalidIdNumber,
    age_on,
    mask_id,
    mask_name,
    mask_pan,
    mask_phone,
    normalise_id_number,
    person_ref,
)
from tests.hub.services.conftest import CITIZENS


def _check(body: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


@pytest.mark.parametrize("key", sorted(CITIZENS))
def test_demo_numbers_are_valid(key: str) -> None:
    number = CITIZENS[key]["id_number"]
    assert normalise_id_number(f" {number.lower()} ") == number


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("41022519410315242", "18位"),
        ("410225194103152423", "校验位"),
        ("4102251941031524X2", "18位"),
        ("41022519410230242", "出生日期"),  # 30 February; check character added below
    ],
)
def test_bad_numbers_are_refused_without_echoing_them(text: str, why: str) -> None:
    if why == "出生日期":
        text += _check(text)
    with pytest.raises(InvalidIdNumber) as info:
        normalise_id_number(text)
    assert why in str(info.value) and text not in str(info.value)


def test_x_check_character() -> None:
    # 11010519491231002X is the GB 11643 standard's own example.
    assert normalise_id_number("11010519491231002x") == "11010519491231002X"


def test_age_turns_on_the_birthday() -> None:
    number = CITIZENS["liu_guiying"]["id_number"]  # born 1946-09-30
    assert age_on(number, date(2026, 9, 29)) == 79
    assert age_on(number, date(2026, 9, 30)) == 80


def test_masks() -> None:
    assert mask_id("410225194103152422") == "4102**********2422"
    assert mask_pan("6217001234567890122") == "621700*********0122"
    assert mask_phone("13800381234") == "138****1234"
    assert (mask_name("张秀兰"), mask_name("王芳"), mask_name("欧阳娜娜")) == (
        "张*兰",
        "王*",
        "欧**娜",
    )


def test_person_ref_is_keyed_and_stable() -> None:
    number = CITIZENS["wang_fang"]["id_number"]
    a = person_ref(number, "secret-one-000000")
    assert a == person_ref(number, "secret-one-000000")
    assert a != person_ref(number, "secret-two-000000")
    assert number not in a and len(a) == 26

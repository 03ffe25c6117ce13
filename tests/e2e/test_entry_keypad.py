"""The keypad entry screen: validation rules, X only last, tones for private
digits, echoed digits for public ones, touch and keypad giving the same
value. The app is real; no hub is needed until a value is used."""

from __future__ import annotations

from typing import Any

import pygame
import pytest

from screens.entry import (
    ACCEPTANCE_NO,
    ID_NUMBER,
    PHONE,
    acceptance_no_error,
    grouped,
    id_number_error,
    phone_error,
)
from tools.headless import Harness


@pytest.mark.parametrize(
    "number",
    ["410225194103152422", "410225200102145018", "11010519491231002X", "110105194912310021"],
)
def test_id_numbers_with_right_check_digit_pass(number: str) -> None:
    expected_ok = number != "110105194912310021"  # the last one has a wrong check digit
    assert (id_number_error(number) == "") is expected_ok


def test_id_number_rules_name_the_problem() -> None:
    assert "18位" in id_number_error("41022519410315242")
    assert "前17位" in id_number_error("4102251941031524XX")
    assert "校验位" in id_number_error("410225194103152423")


def test_phone_and_acceptance_rules() -> None:
    assert phone_error("13912345678") == ""
    assert "11位" in phone_error("1391234567")
    assert "第二位" in phone_error("12912345678")
    assert "第二位" in phone_error("23912345678")
    assert acceptance_no_error("20261122000001") == ""
    assert "14位" in acceptance_no_error("2026112200001")
    assert grouped("13912345678", PHONE.group) == "139 1234 5678"


def entry_app(spec: Any, voice: bool = True) -> tuple[Any, Harness, list[str]]:
    h = Harness()
    h.press(pygame.K_RETURN)
    if voice:
        h.press(pygame.K_F3)
    got: list[str] = []
    h.app.nav.go("entry", spec=spec, on_value=got.append)
    h.settle()
    return h.app, h, got


def test_private_digits_give_tones_not_speech() -> None:
    app, h, got = entry_app(PHONE)
    tones_before = app.voice.speech.tones
    said_before = len(app.voice.history)
    for ch in "13912345678":
        h.press(getattr(pygame, f"K_{ch}"))
    assert app.voice.speech.tones - tones_before == 11
    assert not any(s.isdigit() for s in list(app.voice.history)[said_before:])
    h.press(pygame.K_RETURN)
    assert got == ["13912345678"]


def test_public_digits_are_echoed_and_touch_types_the_same() -> None:
    app, h, got = entry_app(ACCEPTANCE_NO)
    for ch in "2026112200000":
        h.tap_button(f"digit_{ch}")
    h.press(pygame.K_1)
    assert app.screen.value == "20261122000001"
    assert "1" in app.voice.history and "2" in app.voice.history
    h.press(pygame.K_1)  # one too many: refused and said so
    assert app.screen.value == "20261122000001"
    assert "已输入完整" in app.voice.history[-1]
    h.tap_button("confirm")
    assert got == ["20261122000001"]


def test_x_only_as_the_last_character_and_backspace() -> None:
    app, h, got = entry_app(ID_NUMBER)
    h.press(pygame.K_PERIOD)
    assert app.screen.value == ""
    assert "最后一位" in app.voice.history[-1]
    for ch in "11010519491231002":
        h.press(getattr(pygame, f"K_{ch}"))
    h.press(pygame.K_KP_PERIOD)
    assert app.screen.value.endswith("X")
    h.press(pygame.K_BACKSPACE)
    h.press(pygame.K_x)
    h.press(pygame.K_RETURN)
    assert got == ["11010519491231002X"]


def test_bad_value_is_shown_and_spoken_and_kept_for_correction() -> None:
    app, h, got = entry_app(ID_NUMBER, voice=False)
    for ch in "410225194103152423":
        h.press(getattr(pygame, f"K_{ch}"))
    h.press(pygame.K_RETURN)
    assert got == []
    assert app.screen.notice is not None and "校验位" in app.screen.notice.message
    assert "校验位" in app.voice.history[-1]  # spoken even with guidance off
    assert app.screen.value == "410225194103152423"

"""Voice guidance (accessibility.md §5): echo of every tap and key, errors spoken,
repeat, interruption, volume steps, three speeds, reset after each person,
pre-synthesised prompts, and tones instead of digits in masked fields."""

from __future__ import annotations

import pygame
import pytest

from drivers.speech import DEFAULT_VOLUME_STEP, RATE_STEPS_CPM
from kiosk.i18n import Translator
from kiosk.voice import VOLUME_STEPS
from screens import REGISTRY, fixed_prompts
from tools.headless import Harness


def _voice_session(h: Harness) -> None:
    h.key(pygame.K_F3)
    assert h.app.session.modes.voice


def test_every_tap_and_key_is_echoed(h: Harness) -> None:
    _voice_session(h)
    mark = len(h.speech.said)
    h.tap_button("query")
    assert h.speech.said[mark] == "查询"  # the echo first, then the new screen
    mark = len(h.speech.said)
    h.tap_button("back")  # chrome buttons too
    assert h.app.screen.name == "home" and h.speech.said[mark] == "返回"
    h.key(pygame.K_1)
    mark = len(h.speech.said)
    h.key(pygame.K_ESCAPE)
    assert h.speech.said[mark] == "返回"
    h.key(pygame.K_6)
    assert "帮助" in h.speech.said[mark:]
    mark = len(h.speech.said)
    h.tap_button("call_staff")
    assert h.speech.said[mark] == "呼叫工作人员"


def test_errors_are_spoken_without_voice_mode(h: Harness) -> None:
    h.key(pygame.K_RETURN)
    assert not h.app.session.modes.voice
    h.key(pygame.K_9)  # no option 9 on the home screen
    assert h.speech.said[-1] == "没有这个选项，请重新选择"
    h.devices.unavailable["printer"] = "打印机缺纸，暂时无法打印"
    h.key(pygame.K_1)
    h.key(pygame.K_1)
    h.place_card()
    h.key(pygame.K_1)  # 打印, unavailable
    assert h.speech.said[-1] == "打印机缺纸，暂时无法打印"


@pytest.mark.parametrize("key", [pygame.K_ASTERISK, pygame.K_KP_MULTIPLY])
def test_star_repeats_the_screen(h: Harness, key: int) -> None:
    _voice_session(h)
    h.key(pygame.K_1)
    mark = len(h.speech.said)
    h.key(key)
    assert h.speech.said[mark:] == h.app.screen.speech()


def test_any_action_interrupts_speech(h: Harness) -> None:
    stops: list[int] = []
    h.speech.stop = lambda: stops.append(1)  # type: ignore[method-assign]
    _voice_session(h)
    before = len(stops)
    h.key(pygame.K_1)
    assert len(stops) > before
    before = len(stops)
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(5, 5), button=1))
    h.app.step()
    assert len(stops) == before + 1  # on finger-down already


def test_volume_steps_with_keys_and_reset_after_the_session(h: Harness) -> None:
    assert VOLUME_STEPS >= 4
    _voice_session(h)
    for _ in range(VOLUME_STEPS + 2):
        h.key(pygame.K_KP_PLUS)
    assert h.speech.volume_step == VOLUME_STEPS - 1
    assert h.speech.said[-1] == f"音量{VOLUME_STEPS}"
    for _ in range(VOLUME_STEPS + 2):
        h.key(pygame.K_MINUS)
    assert h.speech.volume_step == 0 and h.speech.said[-1] == "音量1"
    h.key(pygame.K_SLASH)
    assert h.speech.rate_cpm != h.config.speech.rate_cpm
    h.app.lifecycle.end(completed=False)
    assert h.speech.volume_step == DEFAULT_VOLUME_STEP
    assert h.speech.rate_cpm == h.config.speech.rate_cpm


def test_on_screen_volume_and_three_speeds(h: Harness) -> None:
    assert len(RATE_STEPS_CPM) == 3
    h.key(pygame.K_RETURN)
    h.key(pygame.K_6)  # 帮助
    h.tap_button("sound")
    assert h.app.screen.name == "sound"
    start = h.speech.volume_step
    h.tap_button("louder")
    assert h.speech.volume_step == start + 1
    assert any(f"第{start + 2}级" in t for t in h.text.cached_texts())  # shown in words
    assert any(f"第{start + 2}级" in part for part in h.app.screen.speech())  # and heard
    assert not any("■" in part or "□" in part for part in h.app.screen.speech())
    h.tap_button("quieter")
    h.tap_button("quieter")
    assert h.speech.volume_step == start - 1
    rates = set()
    for _ in range(3):
        h.tap_button("rate")
        rates.add(h.speech.rate_cpm)
    assert rates == set(RATE_STEPS_CPM)
    for _ in range(VOLUME_STEPS):
        h.tap_button("quieter")
    assert not h.button("quieter").enabled  # the floor, said on the button
    assert h.button("quieter").note == "已经是最小音量"


def test_fixed_prompts_cover_every_screen() -> None:
    prompts = set(fixed_prompts(Translator("zh_CN")))
    for cls in REGISTRY.values():
        assert not cls.title or cls.title in prompts, cls.name
        assert not cls.instruction or cls.instruction in prompts, cls.name


def test_masked_digits_give_tones_unless_headphones(h: Harness) -> None:
    _voice_session(h)
    h.app.speaker.key_feedback("7", masked=True)
    assert h.speech.tones == 1 and h.speech.said[-1] != "7"
    h.app.speaker.key_feedback("7", masked=False)
    assert h.speech.said[-1] == "7"
    h.app.modes.set_headphones(True)
    h.app.speaker.key_feedback("8", masked=True)
    assert h.speech.said[-1] == "8" and h.speech.tones == 1


def test_typing_an_id_number_sounds_tones(h: Harness) -> None:
    _voice_session(h)
    h.key(pygame.K_3)  # 缴费
    h.key(pygame.K_1)
    h.place_card()
    h.tap_button("add_family")  # a family member's ID number
    assert h.app.screen.name == "entry"
    mark, tones = len(h.speech.said), h.speech.tones
    for d in "4102":
        h.key(getattr(pygame, f"K_{d}"), d)
    assert h.speech.tones == tones + 4
    assert not any(s in {"4", "1", "0", "2"} for s in h.speech.said[mark:])


def test_first_journey_prompts_are_prewarmed(h: Harness) -> None:
    warmed = set(h.speech.prewarmed)
    for prompt in ("查询，请按1", "社保缴费记录，请按1", "非常满意，请按1", "返回", "音量5"):
        assert prompt in warmed
    assert "长辈模式已打开" in warmed and "呼叫工作人员" in warmed

"""Touch for shaky hands (accessibility.md §8): act on finger-up, a slide off cancels,
a repeated tap on the same target within the debounce window is ignored; and
呼叫工作人员 works from every screen (§7)."""

from __future__ import annotations

import pygame
import pytest

from tools.headless import Harness


def test_acts_on_finger_up_and_a_slide_off_cancels(h: Harness) -> None:
    h.key(pygame.K_RETURN)
    button = h.button("query")
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=button.rect.center, button=1))
    h.app.step()
    assert h.app.screen.name == "home" and button.pressed  # pressed look at once, no action
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=button.rect.center, button=1))
    h.settle()
    assert h.app.screen.name == "query_menu"
    h.key(pygame.K_ESCAPE)
    button = h.button("query")
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=button.rect.center, button=1))
    h.app.step()
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(2, 2), button=1))
    h.settle()
    assert h.app.screen.name == "home" and not button.pressed


def test_repeated_taps_within_the_debounce_window_are_ignored(h: Harness) -> None:
    debounce = h.config.session.tap_debounce_ms
    assert 300 <= debounce <= 500
    h.key(pygame.K_RETURN)
    h.key(pygame.K_6)
    h.tap_button("sound")
    start = h.speech.volume_step
    louder = h.button("louder").rect.center
    h.tap(louder)
    h.clock.advance(debounce / 1000 - 0.25)  # a tremor: the second tap comes too soon
    h.tap(louder, hold_s=0.05)
    assert h.speech.volume_step == start + 1
    h.clock.advance(debounce / 1000 + 0.05)  # a deliberate second tap
    h.tap(louder)
    assert h.speech.volume_step == start + 2


@pytest.mark.parametrize("keys", [[], [pygame.K_RETURN], [pygame.K_RETURN, pygame.K_1]])
def test_call_staff_from_any_screen(h: Harness, keys: list[int]) -> None:
    for key in keys:
        h.key(key)
    screen = h.app.screen.name
    h.tap_button("call_staff")
    events = [data for kind, data in h.recorder.events if kind == "call_staff"]
    assert events == [{"screen": screen}]
    message = "已呼叫工作人员，请稍候，工作人员马上就到"
    assert message in h.speech.said  # spoken even without voice mode
    h.app.display.dirty = True
    h.app.step()
    notice = h.app.screen.notice
    assert notice is not None and notice.message == message  # shown on the screen
    assert any("已呼叫工作人员" in t for t in h.text.cached_texts())


def test_call_staff_key_f1(h: Harness) -> None:
    h.key(pygame.K_RETURN)
    h.key(pygame.K_F1)
    assert [kind for kind, _ in h.recorder.events].count("call_staff") == 1

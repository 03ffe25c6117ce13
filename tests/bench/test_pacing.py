"""The app loop's wait (kiosk/ui/pacing.py): asleep until input or a posted
callback, never longer than asked, and a clock tick where SDL is out of reach."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pygame
import pytest

from kiosk.runtime import WakingUiQueue
from kiosk.ui.pacing import InputWait, wake


@pytest.fixture
def display() -> Iterator[None]:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pygame.display.init()
    pygame.display.set_mode((320, 240))
    pygame.event.clear()
    yield
    pygame.event.clear()


def _later(seconds: float, fn: object) -> threading.Thread:
    def run() -> None:
        time.sleep(seconds)
        fn()  # type: ignore[operator]

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_waits_the_timeout_when_nothing_happens(display: None) -> None:
    wait = InputWait(pygame.time.Clock())
    assert wait.blocking  # SDL_WaitEventTimeout found in the SDL pygame loaded
    started = time.monotonic()
    wait(200)
    assert 0.15 < time.monotonic() - started < 1.0


def test_input_from_another_thread_ends_the_wait(display: None) -> None:
    wait = InputWait(pygame.time.Clock())
    key = pygame.event.Event(pygame.KEYDOWN, key=pygame.K_1, mod=0, unicode="1", scancode=0)
    poster = _later(0.05, lambda: pygame.event.post(key))
    started = time.monotonic()
    wait(3000)
    elapsed = time.monotonic() - started
    poster.join()
    assert elapsed < 1.0
    assert [e.key for e in pygame.event.get(pygame.KEYDOWN)] == [pygame.K_1]


def test_a_posted_callback_wakes_the_loop(display: None) -> None:
    wait = InputWait(pygame.time.Clock())
    ui = WakingUiQueue()
    ran: list[str] = []
    poster = _later(0.05, lambda: ui.post(ran.append, "card read"))
    started = time.monotonic()
    wait(3000)
    elapsed = time.monotonic() - started
    poster.join()
    assert elapsed < 1.0
    assert ui.drain() == 1 and ran == ["card read"]


def test_wake_without_a_display_does_nothing() -> None:
    pygame.display.quit()
    wake()  # no error: drivers may post while the terminal shuts down


def test_without_sdl_the_clock_paces(display: None) -> None:
    wait = InputWait(pygame.time.Clock())
    wait._wait = None  # as with a pygame build whose SDL ctypes cannot reach
    assert not wait.blocking
    started = time.monotonic()
    for _ in range(3):
        wait(50)  # clock.tick(20): each pass lasts ~50 ms
    assert time.monotonic() - started >= 0.09

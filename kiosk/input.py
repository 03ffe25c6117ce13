"""Input: pygame events → what the kiosk does.

Keys that work on every screen (the keypad's named keys and the function
keys) are a table; digits, Return and Backspace go to the current screen.
Touch acts on finger-up, with repeated taps on one target ignored for the
configured tremor window (accessibility.md §8). Any input interrupts speech
and counts as activity; during the inactivity warning any key or a tap on
继续办理 answers it.

The router drives the app's controllers (kiosk.core), never the app itself.
"""

from __future__ import annotations

from collections.abc import Callable

import pygame

from kiosk.core import Display, ModesController, Navigator, SessionLifecycle, Speaker
from kiosk.session import Session, SessionState
from kiosk.ui import DIGIT_KEYS

EXPOSE_EVENTS = (pygame.WINDOWEXPOSED, pygame.VIDEOEXPOSE, pygame.WINDOWRESTORED)


def global_keys(
    lifecycle: SessionLifecycle, modes: ModesController, voice: Speaker
) -> dict[int, Callable[[], object]]:
    """Keys that do the same on every screen (the kiosk's physical keypad)."""
    return {
        pygame.K_F1: lifecycle.call_staff,
        pygame.K_F2: modes.toggle_elder,
        pygame.K_F3: modes.toggle_voice,
        pygame.K_F4: modes.toggle_contrast,
        pygame.K_F6: modes.toggle_language,
        pygame.K_ASTERISK: voice.repeat,
        pygame.K_KP_MULTIPLY: voice.repeat,
        pygame.K_PLUS: lambda: modes.change_volume(+1),
        pygame.K_KP_PLUS: lambda: modes.change_volume(+1),
        pygame.K_EQUALS: lambda: modes.change_volume(+1),  # "+" without shift on a keyboard
        pygame.K_MINUS: lambda: modes.change_volume(-1),
        pygame.K_KP_MINUS: lambda: modes.change_volume(-1),
        pygame.K_SLASH: modes.next_speech_rate,
        pygame.K_KP_DIVIDE: modes.next_speech_rate,
    }


class InputRouter:
    def __init__(
        self,
        session: Session,
        *,
        clock: Callable[[], float],
        nav: Navigator,
        lifecycle: SessionLifecycle,
        modes: ModesController,
        voice: Speaker,
        display: Display,
        demo_key: Callable[[int], bool],
        debounce_s: float,
        quit: Callable[[], None],
    ) -> None:
        self.session = session
        self.clock = clock
        self.nav = nav
        self.lifecycle = lifecycle
        self.voice = voice
        self.display = display
        self.demo_key = demo_key  # sim mode: place a card, scan a code… (kiosk.ports.Devices)
        self.debounce_s = debounce_s
        self.quit = quit
        self.keys = global_keys(lifecycle, modes, voice)

    def handle(self, event: pygame.event.Event) -> None:
        display = self.display
        if event.type == pygame.QUIT:
            self.quit()
            return
        now = self.clock()
        if event.type == pygame.KEYDOWN:
            self._activity(now)
            self._key(event.key, now)
            display.request_redraw()
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            self._activity(now)
            if display.warning_button is None and self.nav.screen.pointer_down(event.pos):
                display.request_redraw()
        elif event.type == pygame.MOUSEBUTTONUP and event.button == 1:
            self._finger_up(event.pos, now)
        elif event.type in EXPOSE_EVENTS:
            display.request_redraw()

    def _finger_up(self, pos: tuple[int, int], now: float) -> None:
        warning = self.display.warning_button
        if warning is not None:
            if warning.rect.collidepoint(pos):
                self.lifecycle.keep_going()
            return
        if self.session.state is SessionState.ATTRACT:
            # A touch anywhere on the attract screen starts a session; its own
            # buttons (长辈模式, 语音) start one too, with their mode on.
            self.nav.screen.pointer_up(pos, now, self.debounce_s)
            if not self.session.serving:
                self.lifecycle.begin()
            self.display.request_redraw()
            return
        if self.nav.screen.pointer_up(pos, now, self.debounce_s):
            self.display.request_redraw()

    def _activity(self, now: float) -> None:
        self.voice.stop()  # any action interrupts speech
        if self.session.serving:
            self.session.touch(now)

    def _key(self, key: int, now: float) -> None:
        nav, voice = self.nav, self.voice
        state = self.session.state
        if state is SessionState.WARNING:
            self.lifecycle.keep_going()
        elif key in self.keys:
            self.keys[key]()
        elif self.demo_key(key):
            return
        elif state is SessionState.ATTRACT:
            if not nav.attract.handle_key(key, now):
                self.lifecycle.begin()
        elif state is SessionState.OUT_OF_SERVICE:
            return
        elif key == pygame.K_ESCAPE:
            voice.echo(voice.tr("返回"))
            nav.back()
        elif key == pygame.K_HOME:
            voice.echo(voice.tr("首页"))
            nav.home()
        elif not nav.screen.handle_key(key, now) and key in DIGIT_KEYS:
            # A number with no option behind it: say so, or a person who cannot see
            # the screen would not know the press did nothing.
            voice.say(voice.tr("没有这个选项，请重新选择"))

"""Input: pygame events → what the app does.

Keys that work on every screen (the keypad's named keys and the function
keys) are a table; digits, Return and Backspace go to the current screen.
Touch acts on finger-up, with repeated taps on one target ignored for the
configured tremor window (accessibility.md §8). Any input interrupts speech
and counts as activity; during the inactivity warning any key or a tap on
继续办理 answers it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pygame

from kiosk.session import SessionState
from screens.base import DIGIT_KEYS

if TYPE_CHECKING:
    from kiosk.app import App

EXPOSE_EVENTS = (pygame.WINDOWEXPOSED, pygame.VIDEOEXPOSE, pygame.WINDOWRESTORED)


def global_keys(app: App) -> dict[int, Callable[[], object]]:
    """Keys that do the same on every screen (the kiosk's physical keypad)."""
    return {
        pygame.K_F1: app.call_staff,
        pygame.K_F2: app.toggle_elder,
        pygame.K_F3: app.toggle_voice,
        pygame.K_F4: app.toggle_contrast,
        pygame.K_F6: app.toggle_language,
        pygame.K_ASTERISK: app.repeat,
        pygame.K_KP_MULTIPLY: app.repeat,
        pygame.K_PLUS: lambda: app.change_volume(+1),
        pygame.K_KP_PLUS: lambda: app.change_volume(+1),
        pygame.K_EQUALS: lambda: app.change_volume(+1),  # "+" without shift on a keyboard
        pygame.K_MINUS: lambda: app.change_volume(-1),
        pygame.K_KP_MINUS: lambda: app.change_volume(-1),
        pygame.K_SLASH: app.next_speech_rate,
        pygame.K_KP_DIVIDE: app.next_speech_rate,
    }


class InputRouter:
    def __init__(self, app: App) -> None:
        self.app = app
        self.keys = global_keys(app)

    @property
    def debounce_s(self) -> float:
        return self.app.config.session.tap_debounce_ms / 1000

    def handle(self, event: pygame.event.Event) -> None:
        app = self.app
        if event.type == pygame.QUIT:
            app.running = False
            return
        now = app.clock()
        if event.type == pygame.KEYDOWN:
            self._activity(now)
            self._key(event.key, now)
            app.dirty = True
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            self._activity(now)
            if app.warning_button is None:
                app.dirty = app.screen.pointer_down(event.pos) or app.dirty
        elif event.type == pygame.MOUSEBUTTONUP and event.button == 1:
            self._finger_up(event.pos, now)
        elif event.type in EXPOSE_EVENTS:
            app.dirty = True

    def _finger_up(self, pos: tuple[int, int], now: float) -> None:
        app = self.app
        if app.warning_button is not None:
            if app.warning_button.rect.collidepoint(pos):
                app.keep_going()
            return
        if app.session.state is SessionState.ATTRACT:
            # A touch anywhere on the attract screen starts a session; its own
            # buttons (长辈模式, 语音) start one too, with their mode on.
            app.screen.pointer_up(pos, now, self.debounce_s)
            if not app.session.serving:
                app.begin_session()
            app.dirty = True
            return
        if app.screen.pointer_up(pos, now, self.debounce_s):
            app.dirty = True

    def _activity(self, now: float) -> None:
        self.app.voice.stop()  # any action interrupts speech
        if self.app.session.serving:
            self.app.session.touch(now)

    def _key(self, key: int, now: float) -> None:
        app = self.app
        state = app.session.state
        if state is SessionState.WARNING:
            app.keep_going()
        elif key in self.keys:
            self.keys[key]()
        elif app.devices.demo_key(key):
            return
        elif state is SessionState.ATTRACT:
            if not app.attract.handle_key(key, now):
                app.begin_session()
        elif state is SessionState.OUT_OF_SERVICE:
            return
        elif key == pygame.K_ESCAPE:
            app.echo(app.tr("返回"))
            app.back()
        elif key == pygame.K_HOME:
            app.echo(app.tr("首页"))
            app.home()
        elif not app.screen.handle_key(key, now) and key in DIGIT_KEYS:
            # A number with no option behind it: say so, or a person who cannot see
            # the screen would not know the press did nothing.
            app.say(app.tr("没有这个选项，请重新选择"))

"""Drawing a frame: the current screen, the footer around it and, while the
person is asked whether they are still there, the inactivity warning.

The footer (back, home, the mode switches, 呼叫工作人员 always bottom right)
is built for each layout from the session and the screen's wishes; a
screen lays itself out again only when its footer changed. Only the app
loop's thread draws.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pygame

from kiosk.chrome import ChromeActions, build_footer, draw_warning
from kiosk.core.display import Display
from kiosk.core.modes import Themes
from kiosk.core.navigator import Navigator
from kiosk.i18n import Translator
from kiosk.session import Session, SessionState
from kiosk.ui.text import TextRenderer


class Renderer:
    def __init__(
        self,
        display: Display,
        *,
        text: TextRenderer,
        tr: Translator,
        session: Session,
        nav: Navigator,
        themes: Themes,
        chrome: ChromeActions,
        warning_seconds_left: Callable[[], int],
        keep_going: Callable[[], None],
    ) -> None:
        self.display = display
        self.text = text
        self.tr = tr
        self.session = session
        self.nav = nav
        self.themes = themes
        self.chrome = chrome
        self.warning_seconds_left = warning_seconds_left
        self.keep_going = keep_going

    def layout(self) -> None:
        """Lay out the current screen with the footer it should have now."""
        screen = self.nav.screen
        modes = self.session.modes
        size = self.display.surface.get_size()
        footer = build_footer(
            size=size,
            theme=self.themes.current(),
            text=self.text,
            tr=self.tr,
            actions=self.chrome,
            show_back=screen.chrome_back and self.session.serving,
            show_home=screen.chrome_home and self.session.serving and len(self.nav.stack) > 1,
            show_modes=screen.mode_switches,
            elder_on=modes.elder,
            voice_on=modes.voice,
        )
        if [b.name for b in footer] != [b.name for b in screen.chrome] or any(
            a.label != b.label or a.rect != b.rect
            for a, b in zip(footer, screen.chrome, strict=False)
        ):
            screen.refresh()
        screen.layout(size, footer)

    def draw(self) -> None:
        """Draw the whole frame and flip it."""
        display = self.display
        self.layout()
        self.nav.screen.draw(display.surface)
        display.overlay_runs = []
        display.warning_button = None
        if self.session.state is SessionState.WARNING:
            display.warning_button = draw_warning(
                display.surface,
                theme=self.themes.current(),
                text=self.text,
                tr=self.tr,
                seconds_left=self.warning_seconds_left(),
                on_continue=self.keep_going,
                runs=display.overlay_runs,
            )
        pygame.display.flip()
        display.frames += 1
        display.dirty = False
        if display.on_frame is not None:
            display.on_frame(time.perf_counter())

"""The screen stack: which screen is shown, and moving between screens by name.

Screens come from the :class:`~kiosk.ui.ScreenSet` the entry point hands
in; a screen is made with the narrow :class:`~kiosk.ui.ScreenContext`
(never the app). Outside a session the attract screen shows, or the
out-of-service screen while nothing can be served. Entering a screen
calls its ``on_enter``, tells the recorder, asks for a redraw and reads
the screen out in voice mode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.core.display import Display
from kiosk.ports import Recorder
from kiosk.session import Session, SessionState
from kiosk.ui import Screen, ScreenContext, ScreenSet


class Navigator:
    """Implements :class:`kiosk.ui.context.Navigation` for screens."""

    def __init__(
        self, screens: ScreenSet, session: Session, recorder: Recorder, display: Display
    ) -> None:
        self.screens = screens
        self.session = session
        self.recorder = recorder
        self.display = display
        self.stack: list[Screen] = []
        self._ctx: ScreenContext | None = None
        self._end_session: Callable[[bool], None] = lambda completed: None
        self.attract: Screen  # made by open(): screens need the context first
        self.service_screen: Screen  # the out-of-service screen (the attract one until needed)

    def open(self, ctx: ScreenContext, *, end_session: Callable[[bool], None]) -> None:
        """Start making screens with ``ctx``; ``end_session`` is what back from the first
        screen of a visit does (the context's ``nav.end_session`` too)."""
        self._ctx = ctx
        self._end_session = end_session
        self.attract = self.service_screen = self.make("attract")

    @property
    def screen(self) -> Screen:
        """The screen shown now."""
        if self.session.state is SessionState.OUT_OF_SERVICE:
            return self.service_screen
        return self.stack[-1] if self.stack and self.session.serving else self.attract

    def make(self, name: str, **params: Any) -> Screen:
        """A new screen ``name``; raises KeyError for a name not in the screen set."""
        if self._ctx is None:
            raise RuntimeError("the navigator makes screens only once opened")
        return self.screens.registry[name](self._ctx, **params)

    # --- what screens may do (kiosk.ui.context.Navigation) ------------------------------------

    def go(self, name: str, **params: Any) -> None:
        self.leave()
        self.stack.append(self.make(name, **params))
        self.enter()

    def replace(self, name: str, **params: Any) -> None:
        self.leave()
        if self.stack:
            self.stack.pop()
        self.stack.append(self.make(name, **params))
        self.enter()

    def back(self) -> None:
        """One screen back; from the first screen of a visit, the visit ends."""
        if len(self.stack) > 1:
            self.leave()
            self.stack.pop()
            self.enter()
        else:
            self._end_session(False)

    def home(self) -> None:
        if self.session.serving:
            self.leave()
            self.show_home()

    def end_session(self, completed: bool) -> None:
        self._end_session(completed)

    def offers(self, name: str) -> bool:
        return name in self.screens.registry

    # --- what the session lifecycle and the service state do ----------------------------------

    def show_home(self) -> None:
        """The home screen as the only one on the stack (a visit begins)."""
        self.stack = [self.make("home")]
        self.enter()

    def enter(self) -> None:
        """The current screen became current: ``on_enter``, record it, redraw, read it out."""
        screen = self.screen
        screen.on_enter()
        self.recorder.screen_changed(screen.name)
        self.display.request_redraw()
        if self._ctx is not None:
            self._ctx.voice.announce(screen)

    def leave(self) -> None:
        if self.session.serving and self.stack:
            self.stack[-1].on_leave()

    def new_attract(self) -> None:
        """A fresh attract screen (after a visit, or with a new announcement)."""
        self.attract = self.make("attract")
        self.display.request_redraw()

    def show_out_of_service(self, reason: str) -> None:
        self.service_screen = self.make("out_of_service", reason=reason)

    def refresh_all(self) -> None:
        """Lay out every screen again (modes, language or device health changed)."""
        for screen in [*self.stack, self.attract]:
            screen.refresh()
        self.display.request_redraw()

    def personal_data_on_screen(self) -> bool:
        """Whether someone's data may be visible (no remote screenshot now)."""
        return self.session.serving and (self.screen.personal or self.session.identity is not None)

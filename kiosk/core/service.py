"""Whether the terminal serves: maintenance ordered by operators, a journal that
cannot be written, or a device the services need in error (DESIGN.md §3:
``OUT_OF_SERVICE``), and the announcement operators show on the attract screen.

An announcement is at most :data:`~protocol.commands.ANNOUNCEMENT_TEXT_MAX`
characters whatever arrives (wrapping a million characters took 0.7 s on the
UI thread), and it is dropped at its ``until``: the wall-clock time is turned
into a deadline on the app loop's clock when it arrives, and :meth:`tick`
(every loop pass) takes it down then.

A person being served is never cut off by a device fault: the check is made
again when their visit ends. Operators' maintenance ends the visit at once.
The out-of-service screen is entered (``on_enter``, read out) and the
``out_of_service`` event journaled once per reason, not on every check.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from kiosk.core.lifecycle import SessionLifecycle
from kiosk.core.navigator import Navigator
from kiosk.ports import Devices, Recorder
from kiosk.session import Session, SessionState
from kiosk.ui import TerminalInfo
from protocol.commands import ANNOUNCEMENT_TEXT_MAX
from protocol.events import EventKind


class ServiceState:
    def __init__(
        self,
        session: Session,
        devices: Devices,
        recorder: Recorder,
        *,
        nav: Navigator,
        lifecycle: SessionLifecycle,
        terminal: TerminalInfo,
        clock: Callable[[], float] = time.monotonic,
        local_now: Callable[[], datetime] | None = None,
    ) -> None:
        self.session = session
        self.devices = devices
        self.recorder = recorder
        self.nav = nav
        self.lifecycle = lifecycle
        self.terminal = terminal
        self.maintenance_message: str | None = None
        self._shown_reason: str | None = None  # the reason on the out-of-service screen
        self.clock = clock  # the app loop's clock (seconds)
        self.local_now = local_now or (lambda: datetime.now().astimezone())
        self._announcement_ends_at: float | None = None  # on self.clock

    def set_maintenance(self, message: str | None) -> None:
        """Operators' maintenance on (``message`` shown) or off (None)."""
        self.maintenance_message = message
        if message is not None and self.session.serving:
            self.lifecycle.end(completed=False)  # checks the service as the visit ends
        else:
            self.check()

    def journal_failed(self, message: str) -> None:
        """The journal cannot be written: nothing more may be done until staff fix it."""
        self.maintenance_message = message
        self.check()

    def set_announcement(self, text: str | None, until: datetime | None = None) -> None:
        """Show ``text`` on the attract screen (None: take it down) until ``until``
        (a naive time is the terminal's local time), or until replaced."""
        self._announcement_ends_at = None
        if text is not None:
            text = text[:ANNOUNCEMENT_TEXT_MAX]
            if until is not None:
                now = self.local_now()
                if until.tzinfo is None:
                    until = until.replace(tzinfo=now.tzinfo)
                left_s = (until - now).total_seconds()
                if left_s <= 0:
                    text = None  # over before it arrived
                else:
                    self._announcement_ends_at = self.clock() + left_s
        self.terminal.announcement = text or None
        self.nav.new_attract()

    def tick(self) -> None:
        """Take the announcement down once its time is over (called every loop pass)."""
        ends = self._announcement_ends_at
        if ends is not None and self.clock() >= ends:
            self.set_announcement(None)

    def check(self) -> None:
        """Go out of service, or back into service, as the reasons now say."""
        reason = self.maintenance_message or self.devices.out_of_service_reason()
        s = self.session
        if reason is not None:
            if s.serving:
                return  # let the person finish; checked again at session end
            if s.state is SessionState.OUT_OF_SERVICE and reason == self._shown_reason:
                return  # shown and journaled already
            if s.state is not SessionState.OUT_OF_SERVICE:
                s.transition(SessionState.OUT_OF_SERVICE)
            self._shown_reason = reason
            self.nav.show_out_of_service(reason)
            self.recorder.event(EventKind.OUT_OF_SERVICE, {"reason": reason})
            self.nav.enter()
        elif s.state is SessionState.OUT_OF_SERVICE:
            s.transition(SessionState.ATTRACT)
            self._shown_reason = None
            self.nav.new_attract()
            self.nav.enter()

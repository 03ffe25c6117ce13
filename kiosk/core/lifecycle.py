"""A visit from first touch to wipe (DESIGN.md §3), with its timers.

:meth:`SessionLifecycle.begin` starts a visit on the home screen;
:meth:`SessionLifecycle.end` journals its summary and wipes everything
about the person: identity and card bytes, the flow's data, results of
tasks still running, rendered text, volume, speed and modes, and every
screen (rebuilt from scratch). :meth:`SessionLifecycle.tick` runs the
timers: short banners, the screen's own tick, and inactivity — a spoken
and shown warning with a countdown, then the end (kiosk.inactivity
decides; never while a task works for the person).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from drivers.errors import DeviceError
from kiosk.config import SessionSection
from kiosk.core.display import Display
from kiosk.core.navigator import Navigator
from kiosk.core.speaker import Speaker
from kiosk.i18n import Translator
from kiosk.inactivity import Decision, Inactivity
from kiosk.ports import Recorder
from kiosk.session import Session, SessionState
from kiosk.tasks import TaskRunner
from kiosk.ui import Screen
from kiosk.ui.text import TextRenderer
from protocol.events import EventKind

log = logging.getLogger(__name__)


def _ignore(_: object) -> None:
    """A closed person session needs no answer (a hub that missed it lets it expire)."""


class SessionLifecycle:
    def __init__(
        self,
        settings: SessionSection,
        session: Session,
        *,
        clock: Callable[[], float],
        recorder: Recorder,
        tasks: TaskRunner,
        text: TextRenderer,
        tr: Translator,
        nav: Navigator,
        voice: Speaker,
        display: Display,
        check_service: Callable[[], None],
        close_person: Callable[[], None] = lambda: None,
    ) -> None:
        self.session = session
        self.clock = clock
        self.recorder = recorder
        self.tasks = tasks
        self.text = text
        self.tr = tr
        self.nav = nav
        self.voice = voice
        self.display = display
        self._check_service = check_service  # a fault may have waited for the person to finish
        # Ends the person session at the hub (DESIGN §7): the handle dies with the visit.
        self._close_person = close_person
        self.inactivity = Inactivity(settings)
        self._banner: tuple[Screen, Any, float] | None = None  # (screen, its notice, until)

    def begin(self) -> None:
        """A visit starts (a touch, a key or a card) on the home screen."""
        self.session.begin(self.clock())
        self.recorder.record("session_start", {"session": self.session.id})
        self.nav.show_home()

    def end(self, completed: bool) -> None:
        """Wipe everything about the person and return to the attract screen
        (or the out-of-service screen, if something stopped service meanwhile)."""
        s = self.session
        if not s.serving:
            return
        s.completed = s.completed or completed
        s.transition(SessionState.ENDING)
        summary = {
            "session": s.id,
            "service_id": s.service_id,
            "completed": s.completed,
            "duration_s": round(self.clock() - s.started_at, 1),
            "mode_elder": s.modes.elder,
            "mode_voice": s.modes.voice,
            "pages_printed": s.pages_printed,
        }
        try:
            self.recorder.record("session_end", summary)
        except DeviceError:
            log.warning("session end not journaled; wiping anyway")  # the wipe must happen
        self.recorder.event(EventKind.SESSION_SUMMARY, summary)
        self.nav.leave()
        self.tasks.submit(self._close_person, _ignore, _ignore)  # network: off the UI thread
        self.tasks.new_generation()  # results for this person are dropped
        s.wipe()
        self.nav.stack = []
        self.voice.reset()
        self.text.clear()
        self.display.warning_button = None
        self.nav.new_attract()
        s.transition(SessionState.ATTRACT)
        self._check_service()  # enters the out-of-service screen if it takes over
        if s.state is SessionState.ATTRACT:
            self.nav.enter()

    def keep_going(self) -> None:
        """The person answered the inactivity warning."""
        self.session.touch(self.clock())
        self.display.warning_button = None
        self.voice.say(self.tr("好的，请继续办理"))
        self.display.request_redraw()

    def call_staff(self) -> None:
        screen = self.nav.screen.name
        self.recorder.record("call_staff", {"screen": screen})
        self.recorder.event(EventKind.CALL_STAFF, {"screen": screen})
        message = self.tr("已呼叫工作人员，请稍候，工作人员马上就到")
        if self.session.state is SessionState.ATTRACT:
            # Called from the attract screen: the person is here now. Start their session
            # first, or the message would vanish with the attract screen it was put on.
            self.begin()
        self.show_banner(message, seconds=20)
        self.voice.say(message)

    def show_banner(self, message: str, seconds: float) -> None:
        """Show a short message in the current screen's notice for ``seconds``."""
        screen = self.nav.screen
        screen.show_notice(message, "info", speak=False)
        self._banner = (screen, screen.notice, self.clock() + seconds)
        self.display.request_redraw()

    def seconds_left(self) -> int:
        """Seconds left to answer the inactivity warning (its countdown)."""
        return self.inactivity.seconds_left(self.session, self.clock())

    def tick(self) -> None:
        """The timers: banners expire, the screen ticks, inactivity warns and ends."""
        now = self.clock()
        if self._banner is not None and now >= self._banner[2]:
            screen, notice, _ = self._banner
            self._banner = None
            if screen.notice is notice:
                screen.notice = None
                screen.refresh()
        if self.nav.screen.tick(now):
            self.display.request_redraw()
        decision = self.inactivity.check(self.session, now, busy=self.tasks.busy)
        if decision is Decision.WARN:
            _, answer = self.inactivity.limits(self.session.modes)
            self.voice.say(
                self.tr.format(
                    "您还在办理吗？如需继续，请按任意键或触摸屏幕。{seconds}秒后将退出",
                    seconds=answer,
                )
            )
            self.display.request_redraw()
        elif decision is Decision.END:
            self.voice.say(self.tr("已退出，您的信息已清除"))
            self.end(completed=False)
        elif decision is Decision.COUNTDOWN:
            self.display.request_redraw()  # the countdown changes once a second

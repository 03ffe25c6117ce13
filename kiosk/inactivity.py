"""When an idle session is warned and when it ends (DESIGN.md §3, accessibility.md §4).

Pure decisions from the session, the clock and whether the kiosk is busy;
the app acts on them (speaks the warning, redraws the countdown, wipes).
Limits are longer in 长辈 and voice modes (≥ 60 s idle, ≥ 20 s to answer),
and there is no timeout while the kiosk works for the person.
"""

from __future__ import annotations

import enum

from kiosk.config import SessionSection
from kiosk.session import Modes, Session, SessionState


class Decision(enum.Enum):
    NOTHING = "nothing"
    WARN = "warn"  # show and speak the warning, start the countdown
    COUNTDOWN = "countdown"  # the countdown's second changed: redraw it
    END = "end"  # no answer: end the session and wipe it


class Inactivity:
    def __init__(self, settings: SessionSection) -> None:
        self.settings = settings
        self._last_second = -1

    def limits(self, modes: Modes) -> tuple[int, int]:
        """(seconds idle before the warning, seconds to answer it) for these modes."""
        cfg = self.settings
        if modes.elder or modes.voice:
            return cfg.elder_idle_warning_s, cfg.elder_warning_answer_s
        return cfg.idle_warning_s, cfg.warning_answer_s

    def seconds_left(self, session: Session, now: float) -> int:
        _, answer = self.limits(session.modes)
        return max(0, int(answer - (now - session.warning_started) + 0.999))

    def check(self, session: Session, now: float, *, busy: bool) -> Decision:
        """Decide for this moment; moves ``session`` into WARNING when it is due."""
        if not session.serving:
            return Decision.NOTHING
        if busy:
            session.last_activity = now  # no timeout while the kiosk works for the person
            return Decision.NOTHING
        idle, answer = self.limits(session.modes)
        if session.state is SessionState.ACTIVE and now - session.last_activity >= idle:
            session.transition(SessionState.WARNING)
            session.warning_started = now
            return Decision.WARN
        if session.state is SessionState.WARNING:
            if now - session.warning_started >= answer:
                return Decision.END
            if int(now) != self._last_second:
                self._last_second = int(now)
                return Decision.COUNTDOWN
        return Decision.NOTHING

"""The idle warning and the end of a session, decided without pygame."""

from __future__ import annotations

from dataclasses import replace

from kiosk.config import SessionSection
from kiosk.inactivity import Decision, Inactivity
from kiosk.session import Session, SessionState


def started(now: float = 0.0) -> Session:
    session = Session()
    session.begin(now)
    return session


def test_warn_then_end() -> None:
    rules = Inactivity(SessionSection())
    session = started()
    idle, answer = rules.limits(session.modes)
    assert rules.check(session, idle - 0.1, busy=False) is Decision.NOTHING
    assert rules.check(session, idle, busy=False) is Decision.WARN
    assert session.state is SessionState.WARNING
    assert rules.seconds_left(session, idle + 1.5) == answer - 1
    assert rules.check(session, idle + 1.5, busy=False) is Decision.COUNTDOWN
    assert rules.check(session, idle + answer, busy=False) is Decision.END


def test_elder_and_voice_modes_wait_longer() -> None:
    rules = Inactivity(SessionSection())
    session = started()
    standard = rules.limits(session.modes)
    for modes in (replace(session.modes, elder=True), replace(session.modes, voice=True)):
        idle, answer = rules.limits(modes)
        assert idle >= 60 and answer >= 20 and idle > standard[0]


def test_no_timeout_while_busy() -> None:
    rules = Inactivity(SessionSection())
    session = started()
    assert rules.check(session, 10_000, busy=True) is Decision.NOTHING
    assert session.state is SessionState.ACTIVE and session.last_activity == 10_000


def test_nothing_between_sessions() -> None:
    assert Inactivity(SessionSection()).check(Session(), 10_000, busy=False) is Decision.NOTHING

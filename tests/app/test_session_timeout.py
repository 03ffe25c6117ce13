"""Inactivity: warning (shown and spoken) with a countdown and one-tap
continue; no answer ends the session and wipes it; longer in 长辈 mode;
never while the kiosk is working for the person."""

from __future__ import annotations

import threading

import pygame

from kiosk.session import SessionState
from tools.headless import CANARY_NAME, Harness, canary_identity


def test_warning_then_wipe() -> None:
    h = Harness()
    app = h.app
    h.press(pygame.K_RETURN, pygame.K_1, pygame.K_1)
    h.place_card(canary_identity())
    limit = app.config.session.idle_warning_s
    app.clock.advance(limit - 1)
    app.step()
    assert app.session.state is SessionState.ACTIVE
    app.clock.advance(2)
    app.step()
    assert app.session.state is SessionState.WARNING
    assert any("您还在办理吗" in s for s in app.voice.history)
    app.draw()
    assert any(
        "秒后将退出" in app.text.cached_texts()[i] for i in range(len(app.text.cached_texts()))
    )
    app.clock.advance(app.config.session.warning_answer_s + 1)
    app.step()
    assert app.session.state is SessionState.ATTRACT
    assert app.session.identity is None
    assert not any(CANARY_NAME in t for t in app.text.cached_texts())


def test_one_tap_continues() -> None:
    h = Harness()
    app = h.app
    h.press(pygame.K_RETURN)
    app.clock.advance(app.config.session.idle_warning_s + 1)
    app.step()
    assert app.session.state is SessionState.WARNING
    app.draw()
    button = app.display.warning_button
    assert button is not None
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=button.rect.center))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=button.rect.center))
    app.step()
    assert app.session.state is SessionState.ACTIVE
    assert app.session.extensions == 1


def test_elder_mode_waits_longer() -> None:
    h = Harness()
    app = h.app
    h.press(pygame.K_F2)
    assert app.session.modes.elder
    app.clock.advance(app.config.session.idle_warning_s + 1)
    app.step()
    assert app.session.state is SessionState.ACTIVE
    assert app.config.session.elder_idle_warning_s >= 60
    app.clock.advance(app.config.session.elder_idle_warning_s)
    app.step()
    assert app.session.state is SessionState.WARNING


def test_no_timeout_while_working() -> None:
    h = Harness()
    app = h.app
    h.press(pygame.K_RETURN)
    release = threading.Event()
    app.ctx.tasks.run(lambda: release.wait(5), lambda _: None, lambda _: None)
    app.clock.advance(app.config.session.idle_warning_s * 3)
    app.step()
    assert app.session.state is SessionState.ACTIVE
    release.set()
    h.settle()

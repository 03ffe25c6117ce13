"""Time limits in 长辈 and voice modes (accessibility.md §4, WCAG 2.2.1), on a fake clock:
at least 60 s idle before the warning, at least 20 s to answer it, one tap extends,
and no timeout at all while the kiosk works for the person."""

from __future__ import annotations

import pydantic
import pygame
import pytest

from kiosk.config import KioskConfig
from kiosk.session import SessionState
from tools.headless import Harness


def _idle(h: Harness, seconds: float) -> None:
    h.clock.advance(seconds)
    h.app.step()


@pytest.mark.parametrize("switch", [pygame.K_F2, pygame.K_F3], ids=["elder", "voice"])
def test_long_limits_in_elder_and_voice_mode(h: Harness, switch: int) -> None:
    h.key(switch)
    cfg = h.config.session
    idle, answer = cfg.elder_idle_warning_s, cfg.elder_warning_answer_s
    assert idle >= 60 and answer >= 20
    assert idle > cfg.idle_warning_s  # longer than in standard mode
    _idle(h, idle - 0.5)
    assert h.app.session.state is SessionState.ACTIVE
    _idle(h, 1.0)
    assert h.app.session.state is SessionState.WARNING
    assert any("您还在办理吗" in s for s in h.speech.said)  # spoken…
    h.app.draw()
    assert h.app.display.overlay_runs  # …and shown
    _idle(h, answer - 0.5)
    assert h.app.session.state is SessionState.WARNING  # still time to answer
    h.tap(h.app.display.warning_button.rect.center)  # one tap on 继续办理
    assert h.app.session.state is SessionState.ACTIVE
    assert h.app.session.extensions == 1
    _idle(h, idle + 0.1)
    assert h.app.session.state is SessionState.WARNING
    _idle(h, answer + 0.1)
    assert h.app.session.state is SessionState.ATTRACT  # no answer: ended and wiped
    assert "已退出，您的信息已清除" in h.speech.said


def test_standard_mode_is_shorter_but_still_gives_20_s(h: Harness) -> None:
    h.key(pygame.K_RETURN)
    cfg = h.config.session
    _idle(h, cfg.idle_warning_s + 0.1)
    assert h.app.session.state is SessionState.WARNING
    assert cfg.warning_answer_s >= 20
    _idle(h, cfg.warning_answer_s - 0.5)
    assert h.app.session.state is SessionState.WARNING


def test_no_timeout_while_a_task_runs(h: Harness) -> None:
    h.key(pygame.K_F2)
    h.tasks.hold = True  # the hub takes its time
    h.key(pygame.K_1)
    h.key(pygame.K_1)
    h.place_card()
    assert h.app.screen.name == "query_result" and h.tasks.busy
    for _ in range(20):
        _idle(h, 60)  # twenty minutes
    assert h.app.session.state is SessionState.ACTIVE
    h.tasks.hold = False
    h.settle()
    assert not h.tasks.busy and getattr(h.app.screen, "result", None) is not None


def test_config_refuses_short_elder_limits() -> None:
    with pytest.raises(pydantic.ValidationError):
        KioskConfig.model_validate({"session": {"elder_idle_warning_s": 30}})
    with pytest.raises(pydantic.ValidationError):
        KioskConfig.model_validate({"session": {"elder_warning_answer_s": 10}})

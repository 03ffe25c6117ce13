"""Out of service (DESIGN.md §3): operators' maintenance, a broken journal or a
device the services need. The out-of-service event is journaled once per reason,
and the screen shown is the one that was entered (``on_enter``, read out) — a
visit cut short by maintenance used to journal it twice and show a screen
rebuilt behind the entered one."""

from __future__ import annotations

from typing import Any

import pygame
import pytest

from kiosk.session import SessionState
from screens.out_of_service import OutOfServiceScreen
from tools.headless import FakeDevices, Harness


@pytest.fixture
def entered(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every out-of-service screen whose ``on_enter`` ran, in order."""
    screens: list[Any] = []

    def on_enter(self: OutOfServiceScreen) -> None:
        screens.append(self)

    monkeypatch.setattr(OutOfServiceScreen, "on_enter", on_enter)
    return screens


def out_of_service_events(h: Harness) -> list[dict[str, Any]]:
    return [data for kind, data in h.recorder.events if kind == "out_of_service"]


def test_maintenance_during_a_visit_is_journaled_once_on_an_entered_screen(
    entered: list[Any],
) -> None:
    h = Harness()
    h.press(pygame.K_RETURN)
    assert h.app.session.serving
    h.app.service.set_maintenance("设备维护中")
    h.settle()
    assert h.app.session.state is SessionState.OUT_OF_SERVICE
    assert out_of_service_events(h) == [{"reason": "设备维护中"}]
    assert h.app.screen.name == "out_of_service"
    assert entered and entered[-1] is h.app.screen  # the screen shown got on_enter
    assert h.recorder.current_screen == "out_of_service"


def test_maintenance_on_the_attract_screen_enters_the_screen(entered: list[Any]) -> None:
    h = Harness()
    h.app.service.set_maintenance("设备维护中")
    h.settle()
    assert out_of_service_events(h) == [{"reason": "设备维护中"}]
    assert entered == [h.app.screen]
    h.app.service.set_maintenance(None)
    h.settle()
    assert h.app.session.state is SessionState.ATTRACT
    assert h.app.screen.name == "attract" and h.recorder.current_screen == "attract"


class BrokenReader(FakeDevices):
    """The ID-card reader is in error: nothing can be served."""

    def out_of_service_reason(self) -> str | None:
        return "身份证读卡器暂不可用"


def test_a_fault_reported_again_is_journaled_once(entered: list[Any]) -> None:
    h = Harness(devices=BrokenReader())
    for _ in range(3):  # the device keeps reporting its health
        h.app.events.on_health_changed()
        h.settle()
    assert h.app.session.state is SessionState.OUT_OF_SERVICE
    assert out_of_service_events(h) == [{"reason": "身份证读卡器暂不可用"}]
    assert entered == [h.app.screen]
    h.app.service.set_maintenance("设备维护中")  # another reason: shown and journaled
    assert [e["reason"] for e in out_of_service_events(h)] == ["身份证读卡器暂不可用", "设备维护中"]
    assert entered[-1] is h.app.screen and len(entered) == 2

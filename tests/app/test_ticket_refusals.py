"""取号 refused by the hub (issue 13, attack class 9): another service point's
queue (403) or too many numbers just now (429) reach the person as plain words,
shown and spoken, in Chinese and in English."""

from __future__ import annotations

from typing import Any

import pygame
import pytest

from kiosk.flows.api import TICKET_TYPES, TICKETS
from kiosk.hub_client import HubError
from screens import previews
from tools.headless import FakeHub, Harness

TYPES = previews.TICKET_TYPES.model_dump(mode="json")


def refusing(status: int, detail: str) -> FakeHub:
    hub = FakeHub()
    hub.answers["GET", TICKET_TYPES] = lambda _body: TYPES

    def refuse(_body: dict[str, Any]) -> Any:
        raise HubError(status, detail)

    hub.answers["POST", TICKETS] = refuse
    return hub


@pytest.mark.parametrize(
    ("status", "detail", "english"),
    [
        (429, "取号过于频繁，请稍后再试", "Too many queue numbers were taken just now."),
        (403, "只能在本服务点取号", "Queue numbers can only be taken for this service point."),
    ],
)
@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_a_refused_ticket_is_told_and_spoken(
    status: int, detail: str, english: str, language: str
) -> None:
    h = Harness(hub_client=refusing(status, detail))
    if language == "en":
        h.press(pygame.K_F6)
    h.press(pygame.K_RETURN)
    h.tap_button("ticket")
    h.settle()
    assert h.app.screen.name == "ticket"
    h.tap_button(f"type_{TYPES['types'][0]['code']}")
    h.settle()
    assert h.app.screen.name == "ticket"  # no number: the person stays and is told why
    words = detail if language == "zh_CN" else english
    notice = h.app.screen.notice
    assert notice is not None and words in notice.message
    assert any(words in said for said in h.app.voice.history)

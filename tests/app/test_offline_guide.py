"""A guide served from the kept copy says so on screen and in speech."""

from __future__ import annotations

from typing import Any

import pygame

from screens import previews
from tools.headless import FakeGateway, Harness


class OfflineGateway(FakeGateway):
    def guide(self, item_id: str) -> dict[str, Any]:
        return {**previews.GUIDE, "offline": True, "fetched_at": 1_790_000_000.0}


def test_offline_guide_is_labelled() -> None:
    h = Harness(gateway=OfflineGateway())
    app = h.app
    h.press(pygame.K_RETURN)
    app.nav.go("guide", item_id=previews.GUIDE["id"])
    h.settle()
    screen = app.screen
    assert screen.name == "guide" and screen.data is not None
    assert screen.notice is not None and "本机保存的信息" in screen.notice.message
    app.speaker.announce(screen)
    assert any("本机保存的信息" in s for s in screen.speech())


def test_notice_word_follows_the_language() -> None:
    h = Harness()
    app = h.app
    h.press(pygame.K_RETURN)
    app.modes.set(language="en")
    app.screen.show_notice("x", "error", speak=False)
    app.draw()
    assert app.screen.notice is not None and app.screen.notice.label == "Error: "
    app.modes.set(language="zh_CN")
    app.screen.show_notice("x", "error", speak=False)
    assert app.screen.notice.label == "错误："

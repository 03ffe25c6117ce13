"""A guide served from the kept copy says so on screen and in speech."""

from __future__ import annotations

from typing import Any

import pygame

from screens import previews
from tests.app.harness import FakeGateway, make_app, press, settle


class OfflineGateway(FakeGateway):
    def guide(self, item_id: str) -> dict[str, Any]:
        return {**previews.GUIDE, "offline": True, "fetched_at": 1_790_000_000.0}


def test_offline_guide_is_labelled() -> None:
    app = make_app(gateway=OfflineGateway())
    press(app, pygame.K_RETURN)
    app.go("guide", item_id=previews.GUIDE["id"])
    settle(app)
    screen = app.screen
    assert screen.name == "guide" and screen.data is not None
    assert screen.notice is not None and "本机保存的信息" in screen.notice.message
    app.announce(screen)
    assert any("本机保存的信息" in s for s in screen.speech())


def test_notice_word_follows_the_language() -> None:
    app = make_app()
    press(app, pygame.K_RETURN)
    app.set_modes(language="en")
    app.screen.show_notice("x", "error", speak=False)
    app.draw()
    assert app.screen.notice is not None and app.screen.notice.label == "Error: "
    app.set_modes(language="zh_CN")
    app.screen.show_notice("x", "error", speak=False)
    assert app.screen.notice.label == "错误："

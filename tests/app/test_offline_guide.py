"""A guide served from the kept copy says so on screen and in speech."""

from __future__ import annotations

from pathlib import Path

import pygame

from kiosk.flows import OfflineCache
from screens import previews
from tools.headless import FakeHub, Harness


def test_offline_guide_is_labelled(tmp_path: Path) -> None:
    # The guide was kept on an earlier visit; now the hub does not answer.
    kept = OfflineCache(tmp_path, clock=lambda: 1_790_000_000.0)
    kept.put(f"guide-{previews.GUIDE.id}", previews.GUIDE)
    h = Harness(hub_client=FakeHub(down=True), offline=kept)
    app = h.app
    h.press(pygame.K_RETURN)
    app.nav.go("guide", item_id=previews.GUIDE.id)
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

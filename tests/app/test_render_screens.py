"""Every registered screen renders in every mode; the PNGs are written to
artifacts/screens/ (CI keeps them) so a person can look at them."""

from __future__ import annotations

from pathlib import Path

import pygame
import pytest

from screens import REGISTRY
from tools.headless import Harness, canary_identity

OUT = Path(__file__).resolve().parents[2] / "artifacts" / "screens"
MODES = {
    "standard": {},
    "elder": {"elder": True},
    "high_contrast": {"high_contrast": True},
    "en": {"language": "en"},
}


@pytest.mark.parametrize("mode", sorted(MODES))
def test_every_screen_renders(mode: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    h = Harness()
    app = h.app
    h.press(pygame.K_RETURN)
    h.place_card(canary_identity())
    app.modes.set(**MODES[mode])
    for name, cls in sorted(REGISTRY.items()):
        if name == "attract":
            screen = app.nav.attract
        else:
            app.nav.stack.append(cls(app.ctx, **cls.preview))
            app.screen.on_enter()
            h.settle()
            screen = app.screen
        app.draw()
        assert screen.text_runs, f"{name} drew no text"
        title = screen.title_text()
        assert title and screen.speech()[0] == title
        pygame.image.save(app.surface, str(OUT / f"{name}-{mode}.png"))
        if name != "attract":
            app.nav.stack.pop()

"""The audit itself: its pixel measurements are right, its checks catch a bad
screen, and every screen of every flow passes them in every mode (the CI gate;
the table is printed and the PNGs are kept in artifacts/audit/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pygame
import pytest

from kiosk.i18n import N_
from kiosk.theme import contrast_ratio
from kiosk.ui import Option, Screen
from kiosk.ui.blocks import RowContext
from kiosk.ui.widgets import Button
from screens import REGISTRY
from tools.audit import MODES, run_audit, table
from tools.audit.checks import check_render
from tools.audit.pixels import FontMetrics, measure_run
from tools.headless import Harness

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "audit"


def _draw_run(h: Harness, text: str, size: int, fg: Any, bg: Any) -> pygame.Rect:
    surface = h.surface
    surface.fill(bg)
    ctx = RowContext(h.text, h.app.modes.theme, [])
    return ctx.blit_text(surface, text, (40, 40), size, fg, bg)


def _ink_height(font: Any, ch: str, size: int) -> int:
    """A glyph's ink height as FreeType renders it unpadded (its bounding box)."""
    font.pad = False
    try:
        surface, _ = font.render(ch, fgcolor=(0, 0, 0), size=size)
    finally:
        font.pad = True
    return int(surface.get_height())


@pytest.mark.parametrize("size", [19, 23, 33, 41])
def test_cjk_height_and_contrast_are_measured_from_pixels(h: Harness, size: int) -> None:
    metrics = FontMetrics.from_font(h.text.fonts.font(False))
    fg, bg = (66, 66, 66), (247, 245, 240)
    rect = _draw_run(h, "呼叫工作人员", size, fg, bg)
    m = measure_run(h.surface, rect, metrics)
    # The tallest ideograph's ink box, straight from FreeType's glyph metrics.
    font = h.text.fonts.font(False)
    tallest = max(_ink_height(font, ch, size) for ch in "呼叫工作人员")
    assert m.kind == "cjk"
    assert abs(m.height_px - tallest) <= 2  # edge rows under 50 % coverage are not ink
    assert m.contrast == pytest.approx(contrast_ratio(fg, bg), rel=0.01)


def test_latin_cap_height_is_measured(h: Harness) -> None:
    metrics = FontMetrics.from_font(h.text.fonts.font(False))
    rect = _draw_run(h, "Esc F1", 33, (0, 0, 0), (255, 255, 255))
    m = measure_run(h.surface, rect, metrics)
    cap = _ink_height(h.text.fonts.font(False), "E", 33)
    assert m.kind == "latin" and abs(m.height_px - cap) <= 2
    rect = _draw_run(h, "on…", 33, (0, 0, 0), (255, 255, 255))
    assert measure_run(h.surface, rect, metrics).kind == "short"  # no capital to measure


class _BadScreen(Screen):
    """Everything the audit must refuse, on one screen."""

    name = "bad"
    title = N_("坏屏幕")

    def options(self) -> list[Option]:
        return [Option(f"选项{i}", lambda: None, name=f"o{i}") for i in range(7)]

    def speech(self) -> list[str]:
        return ["别的话"]

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        ctx = RowContext(self.ctx.text, self.ctx.theme, self.text_runs)
        ctx.blit_text(surface, "灰色小字", (300, 300), 14, (200, 200, 200), (247, 245, 240))
        first = self.buttons[0].rect
        tiny = Button(pygame.Rect(first.x, first.y - 32, 30, 30), "", lambda: None, name="tiny")
        tiny.draw(surface, self.ctx.text, self.ctx.theme, 14)
        self.buttons.append(tiny)


def test_checks_catch_a_bad_screen(h: Harness) -> None:
    h.key(pygame.K_F2)  # 长辈 mode
    h.app.nav.stack.append(_BadScreen(h.app.ctx))
    metrics = FontMetrics.from_font(h.text.fonts.font(False))
    result = check_render(h.app, metrics, "bad", "elder-zh", 0)
    text = "\n".join(result.failures)
    assert "contrast" in text and "mm < 7.0 mm" in text
    assert "button 'tiny'" in text and "gap" in text
    assert "7 numbered options > 6" in text
    assert "speech does not start with the title" in text
    assert "speech misses option '选项0' with key 1" in text


def test_every_screen_of_every_flow_in_every_mode() -> None:
    report = run_audit(
        ARTIFACTS, png_modes=("standard-zh", "elder-zh", "elder+contrast-zh", "standard-en")
    )
    print(table(report))  # kept in the CI log beside the PNGs
    audited = {s.screen for s in report.states}
    transient = {name for name, cls in REGISTRY.items() if cls.transient}  # never drawn
    assert set(REGISTRY) - transient <= audited | {
        p.split("'")[1] for p in report.problems if "cannot be shown" in p
    }
    per_state: dict[str, set[str]] = {}
    for r in report.results:
        per_state.setdefault(r.state, set()).add(r.mode)
    assert all(modes == {m.name for m in MODES} for modes in per_state.values())
    assert any(ARTIFACTS.glob("home__elder-zh__p1.png"))
    assert report.ok, "\n".join(report.failures[:60])

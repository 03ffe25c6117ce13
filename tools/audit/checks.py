"""The checks made on one rendered screen in one mode.

Thresholds (specs/accessibility.md; [I] marks our own inference there):

=================  ===========================  ==========================
check              长辈 mode                     standard mode
=================  ===========================  ==========================
CJK glyph height   ≥ 7.0 mm (§1: 7-9 mm body)    ≥ 4.2 mm
Latin cap height   ≥ 6.1 mm (EN 301 549 0.7°     ≥ 3.4 mm
                   at 500 mm, §1)
contrast           ≥ 7:1 (§2)                    ≥ 4.5:1 (≥ 7:1 in high
                                                 contrast)
target size        primary ≥ 20 mm, all ≥ 16 mm (§3), every mode
gap                ≥ 4 mm between targets (§3), every mode
choices            ≤ 6 numbered options (§6)     ≤ 10 (one key each)
=================  ===========================  ==========================

Standard mode is for people who chose not to enlarge text; its limits keep
captions at about 0.5° at 500 mm and body text (5 mm CJK) well above them.
Every screen must also speak its title and each option with its key, give
every option a key, and show 呼叫工作人员 at primary size in one fixed place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pygame

from kiosk.session import SessionState
from kiosk.theme import px_to_mm
from kiosk.ui import Screen
from tools.audit.pixels import FontMetrics, RunMeasure, measure_run

KEYPAD_KEYS = frozenset("0123456789.")


@dataclass(frozen=True)
class Thresholds:
    cjk_mm: float
    latin_mm: float
    contrast: float
    primary_mm: float = 20.0
    min_target_mm: float = 16.0
    gap_mm: float = 4.0
    max_options: int = 10


ELDER = Thresholds(cjk_mm=7.0, latin_mm=6.1, contrast=7.0, max_options=6)
STANDARD = Thresholds(cjk_mm=4.2, latin_mm=3.4, contrast=4.5)
HIGH_CONTRAST = Thresholds(cjk_mm=4.2, latin_mm=3.4, contrast=7.0)


def thresholds_for(elder: bool, high_contrast: bool) -> Thresholds:
    if elder:
        return ELDER
    return HIGH_CONTRAST if high_contrast else STANDARD


@dataclass
class Figures:
    """The smallest values seen; ``inf`` when nothing of that kind was drawn."""

    text_mm: float = math.inf  # any text: CJK glyph or Latin capital height
    cjk_mm: float = math.inf  # Chinese text only
    contrast: float = math.inf
    target_mm: float = math.inf
    gap_mm: float = math.inf
    options: int = 0

    def merge(self, other: Figures) -> None:
        self.text_mm = min(self.text_mm, other.text_mm)
        self.cjk_mm = min(self.cjk_mm, other.cjk_mm)
        self.contrast = min(self.contrast, other.contrast)
        self.target_mm = min(self.target_mm, other.target_mm)
        self.gap_mm = min(self.gap_mm, other.gap_mm)
        self.options = max(self.options, other.options)


@dataclass
class RenderResult:
    state: str
    mode: str
    page: int
    figures: Figures
    failures: list[str] = field(default_factory=list)
    call_staff: pygame.Rect | None = None
    png: str = ""


def rect_gap(a: pygame.Rect, b: pygame.Rect) -> float:
    """Shortest distance in px between two rectangles (0 when they touch or overlap)."""
    dx = max(0, b.left - a.right, a.left - b.right)
    dy = max(0, b.top - a.bottom, a.top - b.bottom)
    return math.hypot(dx, dy)


def check_render(app: Any, metrics: FontMetrics, state: str, mode: str, page: int) -> RenderResult:
    """Draw the app's current screen and check it; ``app`` is a :class:`kiosk.app.App`."""
    surface: pygame.Surface = app.surface
    traced = getattr(surface, "texts", None)
    if traced is not None:
        traced.clear()  # only what this frame blits
    app.display.request_redraw()
    app.draw()
    theme = app.modes.theme
    result = RenderResult(state, mode, page, Figures())
    check = _RenderCheck(
        app, surface, thresholds_for(theme.elder, theme.name == "high_contrast"), theme.ppi, result
    )
    warning = app.session.state is SessionState.WARNING
    measured = check.text(metrics, warning)
    check.targets(measured, warning)
    if not warning:  # the modal box covers the screen: its choices are not shown
        check.choices()
        check.speech()
        check.call_staff()
    return result


@dataclass
class _RenderCheck:
    """The checks of one drawn frame, each adding to ``result``."""

    app: Any
    surface: pygame.Surface
    limits: Thresholds
    ppi: float
    result: RenderResult

    @property
    def figures(self) -> Figures:
        return self.result.figures

    def fail(self, problem: str) -> None:
        self.result.failures.append(problem)

    def text(self, metrics: FontMetrics, warning: bool) -> list[tuple[pygame.Rect, RunMeasure]]:
        """Size and contrast of every text run, from the pixels; returns what it measured."""
        screen, limits, figures = self.app.screen, self.limits, self.figures
        overlay = list(self.app.display.overlay_runs)
        if warning:
            runs = overlay  # everything else is shaded behind the modal box
        else:
            band = max((r.bottom for r, _, _ in overlay), default=0)
            runs = [r for r in screen.text_runs if r[0].top >= band] + overlay
        measured: list[tuple[pygame.Rect, RunMeasure]] = []
        texts: dict[tuple[int, int, int, int], str] = getattr(self.surface, "texts", {})
        for rect, _fg, _bg in runs:
            m = measure_run(
                self.surface, rect, metrics, texts.get((rect.x, rect.y, rect.w, rect.h))
            )
            measured.append((rect, m))
            where = f"text at ({rect.x},{rect.y})"
            if m.kind == "none":
                self.fail(f"{where}: no visible ink")
                continue
            figures.contrast = min(figures.contrast, m.contrast)
            if m.contrast < limits.contrast:
                self.fail(
                    f"{where}: contrast {m.contrast:.2f}:1 < {limits.contrast}:1 ({m.fg} on {m.bg})"
                )
            if m.kind != "short":
                self._text_size(where, m)
        return measured

    def _text_size(self, where: str, m: RunMeasure) -> None:
        limits, figures = self.limits, self.figures
        mm = px_to_mm(m.height_px, self.ppi)
        figures.text_mm = min(figures.text_mm, mm)
        if m.kind == "cjk":
            figures.cjk_mm = min(figures.cjk_mm, mm)
        need = limits.cjk_mm if m.kind == "cjk" else limits.latin_mm
        if mm < need:
            self.fail(f"{where}: {m.kind} text {mm:.1f} mm < {need} mm")
        if m.ink is not None and not self.surface.get_rect().contains(m.ink):
            self.fail(f"{where}: text runs off the screen")

    def targets(self, measured: list[tuple[pygame.Rect, RunMeasure]], warning: bool) -> None:
        """Every button: its size, on screen, its text inside it, and the gaps between them."""
        screen, limits, figures = self.app.screen, self.limits, self.figures
        if warning:
            button = self.app.display.warning_button
            buttons = [button] if button is not None else []
            primary = {id(b) for b in buttons}
        else:
            buttons = [*screen.buttons, *screen.chrome]
            primary = {id(b) for b in screen.buttons} | {
                id(b) for b in screen.chrome if b.name == "call_staff"
            }
        for b in buttons:
            side = px_to_mm(min(b.rect.width, b.rect.height), self.ppi)
            figures.target_mm = min(figures.target_mm, side)
            need = limits.primary_mm if id(b) in primary else limits.min_target_mm
            if side < need:
                self.fail(f"button {b.name!r}: {side:.1f} mm < {need} mm")
            if not self.surface.get_rect().contains(b.rect):
                self.fail(f"button {b.name!r} is not fully on screen")
            for rect, m in measured:
                inside = b.rect.collidepoint(rect.center)
                if inside and m.ink is not None and not b.rect.contains(m.ink):
                    self.fail(f"button {b.name!r}: its text overflows the button")
        for i, a in enumerate(buttons):
            for b in buttons[i + 1 :]:
                gap = px_to_mm(rect_gap(a.rect, b.rect), self.ppi)
                figures.gap_mm = min(figures.gap_mm, gap)
                if gap < limits.gap_mm:
                    self.fail(
                        f"buttons {a.name!r} and {b.name!r}: gap {gap:.1f} mm < {limits.gap_mm} mm"
                    )

    def _keypad(self) -> bool:
        # A keypad screen (it takes digits) shows its digit keys as buttons: those are
        # input, not choices, and carry their own digit.
        return type(self.app.screen).on_digit is not Screen.on_digit

    def _choices(self) -> list[tuple[str, Any]]:
        keypad = self._keypad()
        numbered = self.app.screen.numbered_options()
        return [(k, o) for k, o in numbered if not (keypad and k in KEYPAD_KEYS)]

    def choices(self) -> None:
        """How many numbered choices, and that each has its own key on a button."""
        screen, limits, keypad = self.app.screen, self.limits, self._keypad()
        numbered = screen.numbered_options()
        choices = self._choices()  # only a keypad's other options count as choices
        self.figures.options = len(choices)
        if len(choices) > limits.max_options:
            self.fail(f"{len(choices)} numbered options > {limits.max_options}")
        pages = screen.page_count
        pager = (screen.page > 0) + (screen.page < pages - 1) if pages > 1 else 0
        if not keypad and len(screen.options()) + pager > 10:
            self.fail(f"{len(screen.options()) + pager} options: only 10 can have a key")
        keys = [k for k, _ in numbered]
        if len(set(keys)) != len(keys) or not all(k.strip() for k in keys):
            self.fail(f"option keys are not distinct: {keys}")
        if not keypad and not all(k.isdigit() for k in keys):
            self.fail(f"option keys are not all digits: {keys}")
        on_screen = {b.key_label for b in screen.buttons}
        for key, opt in numbered:
            if key not in on_screen:
                self.fail(f"option {opt.name or opt.label!r} has no button showing key {key}")

    def speech(self) -> None:
        """What voice guidance says: the title first, the instruction, each choice with
        its key, and the notice."""
        screen, tr = self.app.screen, self.app.tr
        spoken = screen.speech()
        if not spoken or screen.title_text() not in spoken[0]:
            self.fail("speech does not start with the title")
        if screen.instruction_text() and screen.instruction_text() not in spoken:
            self.fail("speech misses the instruction")
        for key, opt in self._choices():
            label = tr(opt.label)
            if opt.enabled:
                ok = any(label in part and key in part for part in spoken)
            else:
                ok = any(label in part for part in spoken)
            if not ok:
                self.fail(f"speech misses option {label!r} with key {key}")
        if screen.notice is not None and screen.notice.message not in " ".join(spoken):
            self.fail("speech misses the notice")

    def call_staff(self) -> None:
        staff = [b for b in self.app.screen.chrome if b.name == "call_staff"]
        if not staff:
            self.fail("no 呼叫工作人员 button")
        else:
            self.result.call_staff = staff[0].rect.copy()

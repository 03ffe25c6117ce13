"""Run the audit: every state the explorer reaches, in every mode, every page.

:func:`run_audit` returns an :class:`AuditReport`; it raises nothing for
a failed check (failures are data), only for a kiosk that cannot start.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import pygame
from PIL import Image

from kiosk.config import KioskConfig, load_config
from tools.audit.checks import Figures, RenderResult, check_render
from tools.audit.explore import State, explore
from tools.audit.pixels import FontMetrics
from tools.headless import AUDIT_WINDOW, DEFAULT_CONFIG, REPO_ROOT, Harness


@dataclass(frozen=True)
class Mode:
    name: str
    elder: bool
    high_contrast: bool
    language: str


MODES: tuple[Mode, ...] = tuple(
    Mode(f"{look}-{lang}", elder, hc, language)
    for lang, language in (("zh", "zh_CN"), ("en", "en"))
    for look, elder, hc in (
        ("standard", False, False),
        ("elder", True, False),
        ("contrast", False, True),
        ("elder+contrast", True, True),
    )
)
MAX_PAGES = 8  # pages checked per screen and mode


@dataclass
class AuditReport:
    results: list[RenderResult] = field(default_factory=list)
    states: list[State] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # not tied to one render
    seconds: float = 0.0

    @property
    def failures(self) -> list[str]:
        out = list(self.problems)
        for r in self.results:
            out.extend(f"{r.state} [{r.mode} p{r.page + 1}]: {f}" for f in r.failures)
        return out

    @property
    def ok(self) -> bool:
        return not self.failures

    def figures_by_mode(self) -> dict[str, Figures]:
        out: dict[str, Figures] = {}
        for r in self.results:
            out.setdefault(r.mode, Figures()).merge(r.figures)
        return out


def save_png(surface: pygame.Surface, path: Path) -> None:
    """Lossless, quickly: zlib level 1 writes ~5x faster than pygame's default here."""
    raw = pygame.image.tobytes(surface, "RGB")
    Image.frombytes("RGB", surface.get_size(), raw).save(path, compress_level=1)


def _render_all_modes(
    h: Harness,
    state: State,
    metrics: FontMetrics,
    out_dir: Path | None,
    png_modes: Collection[str] | None,
) -> list[RenderResult]:
    app = h.app
    results: list[RenderResult] = []
    for mode in MODES:
        app.modes.set(elder=mode.elder, high_contrast=mode.high_contrast, language=mode.language)
        screen = app.screen
        screen.page = 0
        screen.refresh()
        page = 0
        while True:
            result = check_render(app, metrics, state.label, mode.name, page)
            if out_dir is not None and (png_modes is None or mode.name in png_modes):
                png = out_dir / f"{state.label}__{mode.name}__p{page + 1}.png"
                save_png(app.surface, png)
                result.png = png.name
            results.append(result)
            if page + 1 >= min(screen.page_count, MAX_PAGES):
                break
            screen.page = page = page + 1
            screen.refresh()
    return results


def run_audit(
    out_dir: Path | None = Path("artifacts/audit"),
    *,
    config_path: Path | None = None,
    window: tuple[int, int] = AUDIT_WINDOW,
    max_states: int = 120,
    png_modes: Collection[str] | None = None,
) -> AuditReport:
    """Audit every reachable screen in every mode; PNGs go to ``out_dir`` (None: none)
    for the modes named in ``png_modes`` (None: all of :data:`MODES`)."""
    started = time.monotonic()
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for old in out_dir.glob("*.png"):
            old.unlink()
    report = AuditReport()
    config = _usable_config(config_path, report)
    h = Harness.create(config=config, window=window)
    try:
        metrics = FontMetrics.from_font(h.text.fonts.font(False))

        def visit(state: State) -> None:
            report.results.extend(_render_all_modes(h, state, metrics, out_dir, png_modes))

        report.states = explore(h, visit, max_states=max_states, problems=report.problems)
    finally:
        h.close()
    _check_call_staff_place(report)
    report.seconds = time.monotonic() - started
    return report


def _usable_config(config_path: Path | None, report: AuditReport) -> KioskConfig:
    """The kiosk config; a service point the catalogue does not know is reported, and the
    catalogue's first village service point is used so the flows can still be reached."""
    config = load_config(config_path or DEFAULT_CONFIG)
    catalogue = REPO_ROOT / "config" / "catalogue.json"
    try:
        places = json.loads(catalogue.read_text(encoding="utf-8")).get("places", [])
    except (OSError, ValueError):
        return config
    codes = [p.get("code") for p in places]
    if config.terminal.service_point in codes or not codes:
        return config
    village = next((p["code"] for p in places if p.get("kind") == "village"), codes[0])
    report.problems.append(
        f"config terminal.service_point {config.terminal.service_point!r} is not a place in "
        f"config/catalogue.json; audited as {village!r}"
    )
    terminal = config.terminal.model_copy(update={"service_point": village})
    return config.model_copy(update={"terminal": terminal})


def _check_call_staff_place(report: AuditReport) -> None:
    """呼叫工作人员 must sit in the same place on every screen of a mode."""
    by_mode: dict[str, dict[tuple[int, int, int, int], list[str]]] = {}
    for r in report.results:
        if r.call_staff is not None:
            key = (r.call_staff.x, r.call_staff.y, r.call_staff.w, r.call_staff.h)
            by_mode.setdefault(r.mode, {}).setdefault(key, []).append(r.state)
    for mode, places in by_mode.items():
        if len(places) > 1:
            where = "; ".join(f"{k}: {', '.join(sorted(set(v))[:4])}" for k, v in places.items())
            report.problems.append(f"[{mode}] 呼叫工作人员 moves between screens: {where}")


def fmt(value: float, digits: int = 1) -> str:
    return "—" if math.isinf(value) else f"{value:.{digits}f}"

"""Busiest screen: CPU of one full redraw of the densest screen in 长辈 mode.

Every registered screen is opened with its preview parameters (as the
render tests do) in 长辈 mode in a 1920x1080 window under Xvfb, then
redrawn in full (``App.draw``: layout check, every pixel of the screen,
flip) repeatedly; CPU is ``time.process_time``. The figure is the screen
with the highest median; min–max over its redraws.

Target: ≤ 5 ms median. ``python -m bench.busiest_screen [--quick]``
"""

from __future__ import annotations

import os
import statistics
import time

from bench.common import Figure, bench_main, figure, shared_display

TARGET_MS = 5.0


def _redraws(app: object, repeats: int) -> list[float]:
    draw = app.draw  # type: ignore[attr-defined]
    for _ in range(3):  # text cache and layout warm, as on a screen already shown
        draw()
    out = []
    for _ in range(repeats):
        started = time.process_time()
        draw()
        out.append((time.process_time() - started) * 1000)
    return out


def run(quick: bool) -> list[Figure]:
    repeats = 15 if quick else 60
    os.environ.pop("SDL_VIDEODRIVER", None)
    os.environ.setdefault("SDL_FRAMEBUFFER_ACCELERATION", "0")  # as kiosk/runtime.py sets
    with shared_display() as display:
        os.environ["DISPLAY"] = display
        import pygame

        from screens import REGISTRY
        from tools.headless import Harness, canary_identity

        h = Harness(window=(1920, 1080), held_tasks=False)
        app = h.app
        h.press(pygame.K_RETURN)
        h.place_card(canary_identity())
        app.modes.set(elder=True)
        per_screen: dict[str, list[float]] = {}
        failed: list[str] = []
        for name, cls in sorted(REGISTRY.items()):
            try:
                if name != "attract":
                    app.nav.stack.append(cls(app.ctx, **cls.preview))
                    app.screen.on_enter()
                    h.settle()
                per_screen[name] = _redraws(app, repeats)
            except Exception as exc:
                failed.append(f"{name} ({type(exc).__name__})")
            finally:
                if name != "attract" and app.nav.stack:
                    app.nav.stack.pop()
        h.close()
    busiest = max(per_screen, key=lambda s: statistics.median(per_screen[s]))
    ranked = sorted(per_screen, key=lambda s: -statistics.median(per_screen[s]))[:3]
    note = (
        "densest: "
        + ", ".join(f"{s} {statistics.median(per_screen[s]):.2f} ms" for s in ranked)
        + f"; {len(per_screen)} screens"
    )
    if failed:
        note += "; preview failed: " + ", ".join(failed)
    return [
        figure(
            "busiest_screen",
            f"full redraw, 长辈 mode ({busiest})",
            "ms",
            per_screen[busiest],
            TARGET_MS,
            note=note,
            keep_samples=False,
        )
    ]


if __name__ == "__main__":
    raise SystemExit(bench_main(run))

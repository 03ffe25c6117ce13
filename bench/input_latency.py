"""Input to frame: a synthesised key or touch → the flip of the frame that shows it.

The real terminal runs its own paced loop (``step`` + ``clock.tick``, 30 fps
on the attract screen, 60 fps in a session) on the main thread; a second
thread plays a person: it waits a random 10–40 ms (so inputs land at any
phase of the tick), posts one event (a digit choosing an option, Return,
Esc, Home, 长辈/contrast switches, or a finger down/up on a button), and
waits for the first flip after the app handled that event. Inputs walk
across screens (home, menus, guides, forms, payments, printing, rating…).

Targets over 1,000 inputs: p50 ≤ 16 ms, p99 ≤ 50 ms.
``python -m bench.input_latency [--quick]``
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bench.common import Figure, bench_main, live_kiosk, percentile

if TYPE_CHECKING:
    from kiosk.app import App
    from tools.headless import FrameClock, Harness

P50_TARGET_MS = 16.0
P99_TARGET_MS = 50.0
NO_FRAME_S = 1.0  # an input without a frame this long after is counted as lost


@dataclass
class Probe:
    """The input in flight and what became of it."""

    bench_id: int = -1
    posted: float = 0.0
    handled: bool = False
    done: threading.Event = field(default_factory=threading.Event)
    latency_ms: float = 0.0


class Person:
    """Plays inputs into the app from a thread of its own."""

    def __init__(self, app: App, frames: FrameClock, inputs: int, seed: int) -> None:
        import pygame

        self.pg = pygame
        self.app = app
        self.frames = frames
        self.inputs = inputs
        self.rng = random.Random(seed)
        self.probe = Probe()
        self.latencies: list[float] = []
        self.by_screen: dict[str, list[float]] = {}
        self.lost = 0
        self.finished = False
        self.error: BaseException | None = None
        self._pending_up: tuple[int, int] | None = None
        original = app.input.handle

        def handle(event: Any) -> None:
            original(event)
            if getattr(event, "bench_id", None) == self.probe.bench_id:
                self.probe.handled = True

        app.input.handle = handle  # type: ignore[method-assign]
        frames.hook = self._on_frame

    def _on_frame(self, at: float) -> None:
        probe = self.probe
        if probe.handled and not probe.done.is_set():
            probe.latency_ms = (at - probe.posted) * 1000
            probe.done.set()

    def run(self) -> None:
        try:
            for n in range(self.inputs):
                time.sleep(self.rng.uniform(0.010, 0.040))
                try:
                    screen, event = self._next_event()
                except Exception:  # read while the app thread changed screens: back out
                    screen, event = self.app.screen.name, self._key(self.pg.K_ESCAPE)
                self.probe = Probe(bench_id=n)
                event.bench_id = n
                self.probe.posted = time.perf_counter()
                self.pg.event.post(event)
                if self.probe.done.wait(NO_FRAME_S):
                    self.latencies.append(self.probe.latency_ms)
                    self.by_screen.setdefault(screen, []).append(self.probe.latency_ms)
                else:
                    self.lost += 1
        except BaseException as exc:
            self.error = exc
        finally:
            self.finished = True

    def _key(self, key: int) -> Any:
        return self.pg.event.Event(self.pg.KEYDOWN, key=key, mod=0, unicode="", scancode=0)

    def _next_event(self) -> tuple[str, Any]:
        pg, app, rng = self.pg, self.app, self.rng
        screen = app.screen
        if self._pending_up is not None:  # the finger that went down comes up
            pos, self._pending_up = self._pending_up, None
            return screen.name, pg.event.Event(pg.MOUSEBUTTONUP, button=1, pos=pos, touch=True)
        if not app.session.serving:
            return screen.name, self._key(pg.K_RETURN)
        if len(app.nav.stack) > 5:
            return screen.name, self._key(pg.K_HOME)
        roll = rng.random()
        if roll < 0.45:
            options = [
                k for k, opt in screen.numbered_options() if opt.enabled and k in "0123456789"
            ]
            if options:
                return screen.name, self._key(getattr(pg, f"K_{rng.choice(options)}"))
        elif roll < 0.75:
            buttons = [b for b in screen.buttons + screen.chrome if b.enabled]
            if buttons:
                pos = rng.choice(buttons).rect.center
                self._pending_up = pos
                event = pg.event.Event(pg.MOUSEBUTTONDOWN, button=1, pos=pos, touch=True)
                return screen.name, event
        elif roll < 0.85:
            return screen.name, self._key(pg.K_ESCAPE)
        elif roll < 0.92:
            return screen.name, self._key(pg.K_HOME)
        elif roll < 0.97:
            return screen.name, self._key(pg.K_F2)  # 长辈 mode on/off: everything re-laid out
        return screen.name, self._key(pg.K_F4)  # high contrast on/off


def measure(h: Harness, inputs: int, seed: int) -> Person:
    person = Person(h.app, h.frames, inputs, seed)
    thread = threading.Thread(target=person.run, name="bench-person", daemon=True)
    thread.start()
    if not h.run_loop(lambda: person.finished, max_s=inputs * 1.5 + 30):
        raise RuntimeError("the input run did not finish")
    thread.join(5)
    if person.error is not None:
        raise person.error
    return person


def run(quick: bool) -> list[Figure]:
    runs, per_run = (1, 80) if quick else (4, 250)
    per_run_p50, per_run_p99, everything = [], [], []
    screens: Counter[str] = Counter()
    worst: dict[str, list[float]] = {}
    lost = 0
    with live_kiosk() as h:
        h.run_loop(lambda: False, max_s=1.0)  # let devices and the agent come up
        for n in range(runs):
            person = measure(h, per_run, seed=n)
            if not person.latencies:
                raise RuntimeError("no input produced a frame")
            per_run_p50.append(percentile(person.latencies, 50))
            per_run_p99.append(percentile(person.latencies, 99))
            everything.extend(person.latencies)
            lost += person.lost
            for name, values in person.by_screen.items():
                screens[name] += len(values)
                worst.setdefault(name, []).extend(values)
    slowest = max(worst, key=lambda s: percentile(worst[s], 99))
    note = (
        f"{len(everything)} inputs over {len(screens)} screens; {lost} without a frame; "
        f"slowest p99 on {slowest} ({percentile(worst[slowest], 99):.1f} ms)"
    )
    return [
        Figure(
            key="input_p50",
            name="input → frame",
            unit="ms",
            value=percentile(everything, 50),
            low=min(per_run_p50),
            high=max(per_run_p50),
            runs=runs,
            target=P50_TARGET_MS,
            stat="p50",
            note=note,
        ),
        Figure(
            key="input_p99",
            name="input → frame",
            unit="ms",
            value=percentile(everything, 99),
            low=min(per_run_p99),
            high=max(per_run_p99),
            runs=runs,
            target=P99_TARGET_MS,
            stat="p99",
            note="min–max: the p99 of each run",
        ),
    ]


if __name__ == "__main__":
    raise SystemExit(bench_main(run))

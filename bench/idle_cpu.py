"""Idle CPU: the terminal on its attract screen (rotating every few seconds),
nobody there, for 60 s (three 20 s windows; ``--quick`` three 4 s windows).

CPU is the process's user + system time over wall time (``os.times``, every
thread: the app loop, device watchers polling the simulated readers, the
fleet agent's heartbeats), in percent of one core.

Target: ≤ 0.5 %. ``python -m bench.idle_cpu [--quick]``
"""

from __future__ import annotations

import os
import time

from bench.common import Figure, bench_main, figure
from bench.live import live_terminal, run_loop

TARGET_PCT = 0.5
SETTLE_S = 5.0  # speech prewarm, enrolment and device start-up are not idle


def _cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def run(quick: bool) -> list[Figure]:
    window_s = 4.0 if quick else 20.0
    samples, frames_per_window = [], []
    with live_terminal() as (_terminal, app, frames):
        run_loop(app, lambda: False, max_s=2.0 if quick else SETTLE_S)
        for _ in range(3):
            frames_before, cpu0, t0 = frames.count, _cpu_s(), time.monotonic()
            run_loop(app, lambda: False, max_s=window_s)
            cpu, wall = _cpu_s() - cpu0, time.monotonic() - t0
            samples.append(100 * cpu / wall)
            frames_per_window.append(frames.count - frames_before)
            if app.session.serving or app.screen.name != "attract":
                raise RuntimeError(f"not idle: showing {app.screen.name}")
    return [
        figure(
            "idle_cpu",
            "idle CPU, attract screen",
            "%",
            samples,
            TARGET_PCT,
            note=f"3 windows of {window_s:.0f} s; frames drawn per window {frames_per_window}",
        )
    ]


if __name__ == "__main__":
    raise SystemExit(bench_main(run))

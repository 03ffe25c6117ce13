"""Idle CPU: the terminal on its attract screen (rotating every few seconds),
nobody there, for 60 s (three 20 s windows; ``--quick`` three 4 s windows).

CPU is the process's user + system time over wall time (``os.times``, every
thread: the app loop, device watchers polling the simulated readers, the
fleet agent's heartbeats), in percent of one core.

Target: ≤ 0.5 %. ``python -m bench.idle_cpu [--quick]``
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from bench.common import Figure, bench_main, figure, live_kiosk

TARGET_PCT = 0.5
SETTLE_S = 5.0  # speech prewarm, enrolment and device start-up are not idle


def _cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def _threads() -> dict[str, float]:
    """CPU seconds so far per thread (/proc/self/task), by Python thread name where
    there is one (SDL's own threads by their kernel name), same names summed."""
    tick = os.sysconf("SC_CLK_TCK")
    names = {t.native_id: t.name for t in threading.enumerate()}
    out: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            name = names.get(int(task.name)) or (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def run(quick: bool) -> list[Figure]:
    window_s = 4.0 if quick else 20.0
    samples, frames_per_window = [], []
    with live_kiosk() as h:
        app, frames = h.app, h.frames
        h.run_loop(lambda: False, max_s=2.0 if quick else SETTLE_S)
        threads_before, wall_before = _threads(), time.monotonic()
        for _ in range(3):
            frames_before, cpu0, t0 = frames.count, _cpu_s(), time.monotonic()
            h.run_loop(lambda: False, max_s=window_s)
            cpu, wall = _cpu_s() - cpu0, time.monotonic() - t0
            samples.append(100 * cpu / wall)
            frames_per_window.append(frames.count - frames_before)
            if app.session.serving or app.screen.name != "attract":
                raise RuntimeError(f"not idle: showing {app.screen.name}")
        wall = time.monotonic() - wall_before
        per_thread = {
            name: 100 * (cpu - threads_before.get(name, 0.0)) / wall
            for name, cpu in _threads().items()
        }
    by_thread = ", ".join(
        f"{name} {pct:.2f} %" for name, pct in sorted(per_thread.items(), key=lambda kv: -kv[1])
    )
    return [
        figure(
            "idle_cpu",
            "idle CPU, attract screen",
            "%",
            samples,
            TARGET_PCT,
            note=f"3 windows of {window_s:.0f} s; frames per window {frames_per_window}; "
            f"by thread: {by_thread}",
        )
    ]


if __name__ == "__main__":
    raise SystemExit(bench_main(run))

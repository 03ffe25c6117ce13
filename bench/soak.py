"""Soak: 10,000 sessions in one process; memory and open files must stay flat.

The real App (screens, session, text cache, task runner, voice guidance,
journal on SQLite) on SDL's dummy video driver, with a fast-forwarded clock
(the App's ``clock``): every fifth person walks away and the inactivity
warning and timeout end the session; the others go back out by Esc. The hub
and devices are the headless kiosk's fakes (tools/headless), answering at
once, so the soak runs as fast as the app can. Each session is a keypad
journey from bench/sessions.py.

Figures: resident memory growth from the end of the warm-up (10 % of the
sessions) to the end, ≤ 5 MB; open file descriptors (/proc/self/fd) at the
end minus after the warm-up, ≤ 0.

``python -m bench.soak [--sessions 10000] [--quick] [--out FILE]``
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import Figure, machine, table, write_results

RSS_GROWTH_TARGET_MB = 5.0


@dataclass
class SoakReport:
    sessions: int
    warmup: int
    seconds: float
    timeouts: int
    rss_mb: list[tuple[int, float]] = field(default_factory=list)  # (after n sessions, MB)
    fds: list[tuple[int, int]] = field(default_factory=list)
    threads: list[tuple[int, int]] = field(default_factory=list)

    @property
    def rss_growth_mb(self) -> float:
        base = next(mb for n, mb in self.rss_mb if n == self.warmup)
        return self.rss_mb[-1][1] - base

    @property
    def fd_growth(self) -> int:
        base = next(c for n, c in self.fds if n == self.warmup)
        return self.fds[-1][1] - base

    def figures(self) -> list[Figure]:
        rss = [mb for n, mb in self.rss_mb if n >= self.warmup]
        fds = [float(c) for n, c in self.fds if n >= self.warmup]
        return [
            Figure(
                key="soak_rss_growth",
                name=f"soak: RSS growth over {self.sessions - self.warmup:,} sessions",
                unit="MB",
                value=self.rss_growth_mb,
                low=min(rss),
                high=max(rss),
                runs=len(rss),
                target=RSS_GROWTH_TARGET_MB,
                stat="growth",
                note="min–max: RSS (MB) at the checkpoints after warm-up; "
                + ", ".join(f"{n}: {mb:.1f}" for n, mb in self.rss_mb),
            ),
            Figure(
                key="soak_fd_growth",
                name="soak: open files growth",
                unit="fds",
                value=float(self.fd_growth),
                low=min(fds),
                high=max(fds),
                runs=len(fds),
                target=0.0,
                stat="growth",
                note=f"threads {self.threads[0][1]} → {self.threads[-1][1]}; "
                f"{self.sessions / self.seconds:.0f} sessions/s; {self.timeouts} timed out",
            ),
        ]


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError("no VmRSS")


def soak(sessions: int, checkpoints: int = 10) -> SoakReport:
    """Run ``sessions`` sessions in this process; sample memory, files and threads."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import threading

    from bench.sessions import Visitor, demo_identities, read_fds
    from kiosk.journal import Journal
    from kiosk.recording import Recorder
    from tools.headless import Harness

    warmup = max(1, sessions // 10)
    marks = sorted({warmup} | {sessions * k // checkpoints for k in range(1, checkpoints + 1)})
    with tempfile.TemporaryDirectory(prefix="huimin-soak-") as tmp:
        journal = Journal(Path(tmp) / "journal.sqlite", 512, 183)
        h = Harness(window=(1280, 800), recorder=Recorder(journal), held_tasks=False)
        visitor = Visitor(h.app, demo_identities(), h.settle, advance=h.advance)
        report = SoakReport(sessions=sessions, warmup=warmup, seconds=0.0, timeouts=0)
        started = time.monotonic()
        try:
            while visitor.sessions < sessions:
                h.advance(30.0)  # the next person comes later
                visitor.visit()
                if visitor.sessions in marks:
                    gc.collect()
                    n = visitor.sessions
                    report.rss_mb.append((n, _rss_mb()))
                    report.fds.append((n, read_fds()))
                    report.threads.append((n, threading.active_count()))
        finally:
            report.seconds = time.monotonic() - started
            report.timeouts = visitor.timeouts
            h.close()
            journal.close()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 sessions")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    sessions = 1000 if args.quick else args.sessions
    report = soak(sessions)
    figures = report.figures()
    print(f"soak: {sessions:,} sessions in {report.seconds:.0f} s ({report.timeouts} timed out)")
    samples = zip(report.rss_mb, report.fds, report.threads, strict=True)
    for (n, mb), (_, fds), (_, threads) in samples:
        print(f"  after {n:>6,}: RSS {mb:6.1f} MB, {fds} open files, {threads} threads")
    print(table(figures))
    if args.out is not None:
        write_results(args.out, figures, {"machine": machine(), "sessions": sessions})
    return 0


if __name__ == "__main__":
    sys.exit(main())

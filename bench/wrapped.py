"""Figures from the benchmarks written beside the drivers and the hub, measured
by their own functions and reported in the runner's table.

``python -m bench.wrapped NAME [--quick] [--out FILE]`` with NAME one of
receipt, speech, idcard_read, heartbeats, commands (the scripts themselves
still run on their own: ``python bench/receipt_bytes.py`` …).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import Figure, bench_main, figure, percentile


def receipt(quick: bool) -> list[Figure]:
    from bench.receipt_bytes import TARGET_MS, measure

    runs = 30 if quick else 200
    out = []
    for qr in ("native", "image"):
        first, times, size = measure({"qr": qr, "profile": "generic-80mm"}, runs)
        out.append(
            figure(
                f"receipt_{qr}",
                f"receipt → bytes, QR {qr}",
                "ms",
                times,
                TARGET_MS,
                note=f"80 mm, {size} bytes; first call {first:.0f} ms (imports)",
                keep_samples=False,
            )
        )
    return out


def speech(quick: bool) -> list[Figure]:
    import os

    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    from bench.speech_start import (
        CACHED_TARGET_MS,
        PROMPT,
        UNCACHED,
        UNCACHED_TARGET_MS,
        _measure,
    )
    from drivers.speech import SpeechService

    runs = 5 if quick else 20
    with tempfile.TemporaryDirectory() as tmp, SpeechService(cache_dir=Path(tmp)) as service:
        if not service.health().usable:
            raise RuntimeError(f"speech unavailable: {service.health().detail}")
        uncached = _measure(service, [UNCACHED.format(n=n + 1) for n in range(runs)])
        service.say(PROMPT)  # the first say synthesises; the runs below are memory hits
        time.sleep(0.3)
        cached = _measure(service, [PROMPT] * runs)
    return [
        figure("speech_cached", "speech start, cached", "ms", cached, CACHED_TARGET_MS),
        figure("speech_uncached", "speech start, uncached", "ms", uncached, UNCACHED_TARGET_MS),
    ]


def idcard_read(quick: bool) -> list[Figure]:
    from bench.idcard_read import measure

    return [
        figure(
            "idcard_read",
            "ID card read (driver, pty)",
            "ms",
            measure(5 if quick else 20),
            note="card present → IdCard decoded; no baud timing on a pty",
            keep_samples=False,
        )
    ]


def heartbeats(quick: bool) -> list[Figure]:
    from bench.hub_heartbeats import postgres_cluster, run_case

    args = argparse.Namespace(
        terminals=200 if quick else 2000,
        duration=2.0 if quick else 8.0,
        runs=2 if quick else 3,
        clients=2,
        connections=16,
    )
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        rates = run_case("sqlite, 1 process", f"sqlite:///{tmp}/hub.db", 1, args)
    out.append(
        figure(
            "heartbeats_sqlite",
            "hub heartbeats, SQLite, 1 process",
            "/s",
            rates,
            2500.0,
            higher_is_better=True,
            note=f"{args.terminals} terminals, {args.duration:.0f} s runs",
        )
    )
    with postgres_cluster() as url:
        rates = run_case("postgresql, 2 processes", url, 2, args)
    out.append(
        figure(
            "heartbeats_postgres",
            "hub heartbeats, PostgreSQL, 2 processes",
            "/s",
            rates,
            3500.0,
            higher_is_better=True,
            note=f"{args.terminals} terminals, {args.duration:.0f} s runs",
        )
    )
    return out


def commands(quick: bool) -> list[Figure]:
    from bench.command_latency import measure
    from bench.hub_heartbeats import hub_processes, prepare_schema

    count = 20 if quick else 200
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/hub.db"
        prepare_schema(url)
        with hub_processes(url, 1, Path(tmp)) as urls:
            latencies = [s * 1000 for s in measure(urls[0], urls[0], count)]
    return [
        Figure(
            key="command_latency",
            name="console command → terminal ack",
            unit="ms",
            value=percentile(latencies, 99),
            low=min(latencies),
            high=max(latencies),
            runs=len(latencies),
            target=1000.0,
            stat="p99",
            note=f"SQLite, 1 hub process, long-poll; p50 {percentile(latencies, 50):.0f} ms",
        )
    ]


BENCHES: dict[str, Callable[[bool], list[Figure]]] = {
    "receipt": receipt,
    "speech": speech,
    "idcard_read": idcard_read,
    "heartbeats": heartbeats,
    "commands": commands,
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in BENCHES:
        print(f"usage: python -m bench.wrapped {{{','.join(BENCHES)}}} [--quick] [--out FILE]")
        return 2
    return bench_main(BENCHES[argv[0]], argv[1:])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""``python -m bench`` (``make bench``): every figure against its target, in one run.

Each benchmark runs in a fresh interpreter (``python -m bench.<module>``)
with a time budget; the runner starts one Xvfb and one hub for those that
need them, collects their figures, adds the Chromium ratios, prints one
table and writes everything to ``bench/results/latest.json``. Each child's
output goes to ``<logs>/<name>.log`` (``--logs``, default a new temporary directory).

Options: ``--quick`` (fewer runs: a smoke test, not the figures),
``--only a,b`` / ``--skip a,b`` (names from ``--list``), ``--out FILE``.
The soak (``bench.soak``, ~10 minutes) runs only when named in ``--only``, and so
does the image's boot (``bench.image_boot``, a VM; ``make image`` first).

Exit status: 0 every target met, 1 a target missed, 2 a benchmark failed.
The runner lowers its niceness to -10 when allowed (children inherit it):
the figures are for a kiosk that has its machine to itself, and a shared
CI machine otherwise lends its load to every wall-clock figure.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    DISPLAY_ENV,
    HUB_ENV,
    REPO,
    RESULTS,
    Figure,
    child_env,
    hub_process,
    machine,
    read_figures,
    table,
    write_results,
    xvfb,
)


@dataclass(frozen=True)
class Bench:
    name: str
    module: str  # run as ``python -m <module> *args``
    args: tuple[str, ...] = ()
    budget_s: float = 120.0  # a full run; --quick runs get a third
    display: bool = False
    hub: bool = False
    default: bool = True


BENCHES: tuple[Bench, ...] = (
    Bench("cold_start", "bench.cold_start", budget_s=150, display=True, hub=True),
    Bench("input_latency", "bench.input_latency", budget_s=180, display=True, hub=True),
    Bench("busiest_screen", "bench.busiest_screen", budget_s=60, display=True),
    Bench("idle_cpu", "bench.idle_cpu", budget_s=120, display=True, hub=True),
    Bench("idcard_screen", "bench.idcard_screen", budget_s=60, display=True, hub=True),
    Bench("memory", "bench.memory", budget_s=420, display=True, hub=True),
    Bench("speech", "bench.wrapped", ("speech",), budget_s=60),
    Bench("receipt", "bench.wrapped", ("receipt",), budget_s=60),
    Bench("idcard_read", "bench.wrapped", ("idcard_read",), budget_s=60),
    Bench("chromium", "bench.chromium", budget_s=120, display=True),
    Bench("heartbeats", "bench.wrapped", ("heartbeats",), budget_s=300),
    Bench("commands", "bench.wrapped", ("commands",), budget_s=120),
    Bench("soak", "bench.soak", budget_s=900, default=False),
    # Boots the terminal image in QEMU (make image first): minutes under TCG.
    Bench("image_boot", "bench.image_boot", budget_s=1800, default=False),
)

# (key, name, Chromium's figure, ours): Chromium's divided by ours, higher is better.
RATIOS = (
    ("ratio_start_kiosk", "start-up vs Chromium --kiosk", "chromium_kiosk_paint", "cold_start"),
    ("ratio_start_headless", "start-up vs Chromium --headless", "chromium_headless", "cold_start"),
    ("ratio_memory", "memory vs Chromium --kiosk (PSS)", "chromium_kiosk_pss", "start_pss"),
)
RATIO_TARGETS = {"ratio_start_kiosk": 1.6, "ratio_start_headless": 1.6, "ratio_memory": 4.0}


def select(only: Sequence[str], skip: Sequence[str]) -> list[Bench]:
    names = {b.name for b in BENCHES}
    unknown = sorted((set(only) | set(skip)) - names)
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {', '.join(unknown)}; --list shows them")
    chosen = [b for b in BENCHES if (b.name in only if only else b.default)]
    return [b for b in chosen if b.name not in skip]


def ratios(figures: Sequence[Figure]) -> list[Figure]:
    """Chromium ÷ ours for start-up and memory (min–max from the extremes)."""
    by_key = {f.key: f for f in figures}
    out = []
    for key, name, theirs_key, ours_key in RATIOS:
        theirs, ours = by_key.get(theirs_key), by_key.get(ours_key)
        if theirs is None or ours is None or min(ours.value, ours.low) <= 0:
            continue
        out.append(
            Figure(
                key=key,
                name=name,
                unit="×",
                value=theirs.value / ours.value,
                low=theirs.low / ours.high,
                high=theirs.high / ours.low,
                runs=min(theirs.runs, ours.runs),
                target=RATIO_TARGETS[key],
                higher_is_better=True,
                note=f"{theirs.name} ÷ {ours.name}",
            )
        )
    return out


@contextlib.contextmanager
def peers(benches: Sequence[Bench]) -> Iterator[dict[str, str]]:
    """The Xvfb and hub the chosen benchmarks need, shared by all of them."""
    env: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        if any(b.display for b in benches):
            env[DISPLAY_ENV] = stack.enter_context(xvfb())
        if any(b.hub for b in benches):
            env[HUB_ENV] = stack.enter_context(hub_process())
        yield env


def run_one(bench: Bench, quick: bool, env: dict[str, str], logs: Path) -> tuple[list[Figure], str]:
    """Run one benchmark's module; its figures, or an error message."""
    out = logs / f"{bench.name}.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", bench.module, *bench.args, "--out", str(out)]
    if quick:
        cmd.append("--quick")
    budget = bench.budget_s / 3 if quick else bench.budget_s
    log_path = logs / f"{bench.name}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=REPO, env=child_env(**env), stdout=log, stderr=subprocess.STDOUT
        )
        try:
            code = proc.wait(timeout=budget)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return [], f"{bench.name}: over its {budget:.0f} s budget (see {log_path})"
    if code != 0 or not out.exists():
        tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
        return [], f"{bench.name}: exit status {code}: {' / '.join(tail)} (see {log_path})"
    return read_figures(out), ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few runs: a smoke test")
    parser.add_argument("--only", default="", help="comma-separated names")
    parser.add_argument("--skip", default="", help="comma-separated names")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--logs", type=Path, help="directory for each benchmark's output")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    if args.list:
        for b in BENCHES:
            when = "" if b.default else "(only when named) "
            print(f"{b.name:<16}{when}{b.module} {' '.join(b.args)}")
        return 0
    benches = select([n for n in args.only.split(",") if n], [n for n in args.skip.split(",") if n])
    with contextlib.suppress(PermissionError):
        os.nice(-10)
    logs = args.logs or Path(tempfile.mkdtemp(prefix="huimin-bench-logs-"))
    logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    load_before = machine()["load_average"]
    figures: list[Figure] = []
    errors: list[str] = []
    durations: dict[str, float] = {}
    with peers(benches) as env:
        for bench in benches:
            t0 = time.monotonic()
            print(f"{bench.name} …", end=" ", flush=True)
            got, error = run_one(bench, args.quick, env, logs)
            durations[bench.name] = round(time.monotonic() - t0, 1)
            figures.extend(got)
            if error:
                errors.append(error)
            print(f"{durations[bench.name]:.0f} s" + (" FAILED" if error else ""), flush=True)
    figures.extend(ratios(figures))
    total = time.monotonic() - started
    info = machine()
    info["load_average_before"] = load_before
    write_results(
        args.out,
        figures,
        {
            "quick": args.quick,
            "machine": info,
            "duration_s": round(total, 1),
            "durations_s": durations,
            "errors": errors,
        },
    )
    print()
    print(table(figures, errors))
    missed = [f for f in figures if f.met is False]
    print(
        f"\n{len(figures)} figures in {total:.0f} s; {len(missed)} target(s) missed; "
        f"load average {info['load_average'][0]:.1f} on {info['cpus']} CPUs; "
        f"written to {args.out}; logs in {logs}"
    )
    if errors:
        return 2
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())

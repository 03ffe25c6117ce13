"""What every benchmark shares: figures with their targets, the table, the
JSON file, and the peers they run against (an Xvfb display, a hub process).

A benchmark module exposes ``run(quick: bool) -> list[Figure]`` and ends with
``raise SystemExit(bench_main(run))``; the runner (``python -m bench``) starts
each module in a fresh interpreter, so one benchmark's imports, caches and
memory never colour another's figures.

The runner starts one Xvfb and one hub and hands them to every module in
the environment (``HUIMIN_BENCH_DISPLAY``, ``HUIMIN_BENCH_HUB``); a module run
on its own starts its own.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
DISPLAY_ENV = "HUIMIN_BENCH_DISPLAY"
HUB_ENV = "HUIMIN_BENCH_HUB"
SCREEN = "1920x1080x24"  # specs/rendering.md measured at this size


# --- figures ---------------------------------------------------------------------------------


@dataclass
class Figure:
    """One reported figure: ``value`` (usually the median) and the min–max
    over ``runs`` runs, compared with ``target`` (``higher_is_better`` says
    which way). ``target`` None means reported for information only."""

    key: str
    name: str
    unit: str
    value: float
    low: float
    high: float
    runs: int
    target: float | None = None
    higher_is_better: bool = False
    stat: str = "median"
    note: str = ""
    samples: list[float] = field(default_factory=list)

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        if self.higher_is_better:
            return self.value >= self.target
        return self.value <= self.target

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["met"] = self.met
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Figure:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def figure(
    key: str,
    name: str,
    unit: str,
    samples: Sequence[float],
    target: float | None = None,
    *,
    higher_is_better: bool = False,
    note: str = "",
    keep_samples: bool = True,
) -> Figure:
    """The median and min–max of ``samples`` (at least one) as a :class:`Figure`."""
    if not samples:
        raise ValueError(f"{key}: no samples")
    values = [float(s) for s in samples]
    return Figure(
        key=key,
        name=name,
        unit=unit,
        value=statistics.median(values),
        low=min(values),
        high=max(values),
        runs=len(values),
        target=target,
        higher_is_better=higher_is_better,
        note=note,
        samples=values if keep_samples else [],
    )


def percentile(samples: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0–100) by the nearest-rank method (no interpolation:
    with 1,000 inputs p99 is the 990th smallest, an input that really happened)."""
    if not samples:
        raise ValueError("no samples")
    if not 0 <= p <= 100:
        raise ValueError("p must be within 0..100")
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return float(ordered[rank - 1])


def format_value(value: float, unit: str) -> str:
    if unit in ("/s",):
        return f"{value:,.0f}{unit}"
    if unit == "×":
        return f"{value:.2f}×"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    if abs(value) >= 10:
        return f"{value:.1f} {unit}"
    return f"{value:.2f} {unit}"


def _cell(value: float, unit: str) -> str:
    return format_value(value, unit).replace(f" {unit}", "") if unit != "×" else f"{value:.2f}"


def table(figures: Sequence[Figure], errors: Sequence[str] = ()) -> str:
    """A plain-text table: figure, value, min–max, runs, target, met?"""
    head = ("figure", "value", "min–max", "runs", "target", "met?")
    rows = [head]
    for f in figures:
        if f.target is None:
            target = "—"
        else:
            target = ("≥ " if f.higher_is_better else "≤ ") + format_value(f.target, f.unit)
        met = {None: "info", True: "yes", False: "NO"}[f.met]
        stat = "" if f.stat == "median" else f" ({f.stat})"
        rows.append(
            (
                f.name + stat,
                format_value(f.value, f.unit),
                f"{_cell(f.low, f.unit)}–{_cell(f.high, f.unit)}",
                str(f.runs),
                target,
                met,
            )
        )
    widths = [max(_width(r[i]) for r in rows) for i in range(len(head))]
    lines = []
    for n, row in enumerate(rows):
        cells = [_pad(c, widths[i], right=0 < i < 4) for i, c in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.extend(f"ERROR {e}" for e in errors)
    return "\n".join(lines)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int, *, right: bool) -> str:
    gap = " " * (width - _width(text))
    return gap + text if right else text + gap


def machine() -> dict[str, Any]:
    """What the figures were measured on; load average matters on a shared machine."""
    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in load],
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def write_results(path: Path, figures: Sequence[Figure], extra: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {**extra, "figures": [f.to_dict() for f in figures]}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)


def read_figures(path: Path) -> list[Figure]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Figure.from_dict(d) for d in data["figures"]]


# --- module entry point ----------------------------------------------------------------------


def bench_main(run: Callable[[bool], list[Figure]], argv: Sequence[str] | None = None) -> int:
    """Command line of one benchmark module: ``[--quick] [--out FILE]``.

    Prints the module's table and writes its figures to ``--out`` (JSON);
    exit status 0 even when a target is missed (the runner decides), 1 on error.
    """
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer runs (CI, smoke)")
    parser.add_argument("--out", type=Path, help="write the figures here as JSON")
    args = parser.parse_args(argv)
    figures = run(args.quick)
    print(table(figures), flush=True)
    if args.out is not None:
        write_results(args.out, figures, {"machine": machine()})
    return 0


# --- processes and memory --------------------------------------------------------------------


def pss_kib(pid: int) -> int:
    """Proportional set size of one process in KiB (``/proc/PID/smaps_rollup``)."""
    text = Path(f"/proc/{pid}/smaps_rollup").read_text(encoding="ascii")
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    raise RuntimeError(f"no Pss line for process {pid}")


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc, children first found by parent id)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(parents.get(p, []))
    return tree


def tree_pss_kib(pid: int) -> tuple[int, int]:
    """(summed PSS in KiB, number of processes) over ``pid``'s process tree."""
    total, count = 0, 0
    for p in process_tree(pid):
        with contextlib.suppress(OSError, RuntimeError):
            total += pss_kib(p)
            count += 1
    return total, count


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_process(proc: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """Terminate, then kill if it does not go (only this process, by its id)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), PYGAME_HIDE_SUPPORT_PROMPT="1")
    env.setdefault("SDL_AUDIODRIVER", "dummy")  # no sound card on a bench machine
    env.update(extra)
    return env


# --- peers: X display and hub ----------------------------------------------------------------


@contextlib.contextmanager
def xvfb() -> Iterator[str]:
    """A private Xvfb at 1920x1080x24 on a free display number; yields ``":N"``."""
    if shutil.which("Xvfb") is None:
        raise RuntimeError("Xvfb is missing: apt-get install xvfb")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", SCREEN, "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd, "rb") as pipe:
            number = pipe.readline().strip().decode()  # Xvfb writes it once it listens
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        stop_process(proc)


@contextlib.contextmanager
def shared_display() -> Iterator[str]:
    """The runner's display if there is one, else a private Xvfb."""
    display = os.environ.get(DISPLAY_ENV)
    if display:
        yield display
        return
    with xvfb() as display:
        yield display


@contextlib.contextmanager
def hub_process() -> Iterator[str]:
    """``python -m hub`` with the demo data on a temporary SQLite file; yields its URL."""
    with tempfile.TemporaryDirectory(prefix="huimin-bench-hub-") as tmp:
        port_file = Path(tmp) / "port"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hub",
                "--config",
                str(REPO / "config" / "hub.toml"),
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--port-file",
                str(port_file),
                "--database-url",
                f"sqlite:///{tmp}/hub.db",
            ],
            cwd=REPO,
            env=child_env(),
            stdout=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while not port_file.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("hub did not start")
                time.sleep(0.05)
            yield f"http://127.0.0.1:{port_file.read_text().strip()}"
        finally:
            stop_process(proc)


@contextlib.contextmanager
def shared_hub() -> Iterator[str]:
    url = os.environ.get(HUB_ENV)
    if url:
        yield url
        return
    with hub_process() as url:
        yield url


def kiosk_config(workdir: Path, hub_url: str, *, speech_cache: Path | None = None) -> Path:
    """A kiosk.toml for the bench: the demo config's devices (all simulated),
    pointed at ``hub_url``, with its state (credential, journal) in ``workdir``."""
    cache = speech_cache or workdir / "speech-cache"
    path = workdir / "kiosk.toml"
    path.write_text(
        "[hub]\n"
        f'url = "{hub_url}"\n'
        'enrolment_code = "DEMO-ENROL"\n'
        f'credential_path = "{workdir / "credential.json"}"\n'
        "[terminal]\n"
        'name = "bench-terminal"\n'
        'place = { county = "兰考县", town = "东坝头镇", village = "张庄村" }\n'
        "[speech]\n"
        f'cache_dir = "{cache}"\n'
        "[journal]\n"
        f'path = "{workdir / "journal.sqlite"}"\n'
        "[display]\n"
        "fullscreen = true\n",
        encoding="utf-8",
    )
    return path


@contextlib.contextmanager
def live_kiosk(*, speech: Any = None) -> Iterator[Any]:
    """The real terminal in this process (``tools.headless.Harness`` live: built as
    ``main.py`` builds it) under the bench's Xvfb, against the bench's hub, with
    simulated devices and real speech unless ``speech`` is given; every flip is timed
    (``harness.frames``). Closed on exit."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.pop("SDL_VIDEODRIVER", None)
    with (
        shared_display() as display,
        shared_hub() as hub_url,
        tempfile.TemporaryDirectory(prefix="huimin-bench-live-") as tmp,
    ):
        os.environ["DISPLAY"] = display
        from kiosk.config import load_config
        from tools.headless import Harness

        harness = Harness(load_config(kiosk_config(Path(tmp), hub_url)), live=True, speech=speech)
        try:
            yield harness
        finally:
            harness.close()

"""``python -m bench`` end to end on a tiny budget: real Xvfb, real screens,
the real receipt encoder; figures reach the table and latest.json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.__main__ import Bench, run_one
from bench.common import REPO, child_env

ROOT = Path(__file__).resolve().parents[2]
BENCH = [sys.executable, "-m", "bench"]


def test_runner_quick_writes_table_and_json(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
    only = ["--only", "busiest_screen,receipt"]
    proc = subprocess.run(
        [*BENCH, "--quick", *only, "--out", str(out), "--logs", str(tmp_path / "logs")],
        check=False,
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr  # 2 = a benchmark failed
    data = json.loads(out.read_text())
    assert data["quick"] is True and data["errors"] == []
    figures = {f["key"]: f for f in data["figures"]}
    assert set(figures) == {"busiest_screen", "receipt_native", "receipt_image"}
    for f in figures.values():
        assert 0 < f["low"] <= f["value"] <= f["high"], f
        assert f["runs"] >= 10 and f["target"] is not None and f["met"] in (True, False)
    assert (tmp_path / "logs" / "busiest_screen.log").exists()
    assert "full redraw, 长辈 mode" in proc.stdout and "receipt → bytes" in proc.stdout
    assert ("NO" in proc.stdout) == (proc.returncode == 1)


def test_a_benchmark_over_its_budget_is_stopped_and_reported(tmp_path: Path) -> None:
    endless = Bench("endless", "bench.soak", ("--sessions", "1000000"), budget_s=3)
    figures, error = run_one(endless, quick=False, env={}, logs=tmp_path)
    assert figures == []
    assert "over its 3 s budget" in error


def test_a_failing_benchmark_is_reported_with_its_log(tmp_path: Path) -> None:
    broken = Bench("broken", "bench.wrapped", ("no_such_figure",), budget_s=30)
    figures, error = run_one(broken, quick=False, env={}, logs=tmp_path)
    assert figures == [] and "exit status 2" in error
    assert "usage: python -m bench.wrapped" in (tmp_path / "broken.log").read_text()
    assert REPO == ROOT

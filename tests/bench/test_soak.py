"""A shorter soak (1,000 sessions in one process, fast-forwarded clock, a
fifth of them ending by the inactivity timeout) with generous bounds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.common import child_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_thousand_sessions_keep_memory_and_files_flat(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.soak", "--sessions", "1000", "--out", str(out)],
        check=False,
        cwd=ROOT,
        env=child_env(SDL_VIDEODRIVER="dummy"),
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    figures = {f["key"]: f for f in json.loads(out.read_text())["figures"]}
    assert figures["soak_fd_growth"]["value"] <= 0, figures["soak_fd_growth"]
    # Generous: the 10,000-session soak holds growth under 5 MB.
    assert figures["soak_rss_growth"]["value"] < 15.0, figures["soak_rss_growth"]
    assert "200 timed out" in figures["soak_fd_growth"]["note"]
    assert "after  1,000" in proc.stdout

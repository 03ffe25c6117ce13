"""A bad config lists every problem with its key path and exits 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bad_config_lists_every_error_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "kiosk.toml"
    bad.write_text(
        """
[hub]
url = "ftp://hub"
timout_s = 3
[devices.idcard]
type = "serial"
poll_interval_ms = 100
[devices.printer]
type = "laser"
[display]
ppi = -1
""",
        encoding="utf-8",
    )
    proc = subprocess.run(  # noqa: PLW1510 - the exit status is what we assert
        [sys.executable, "main.py", "--config", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "SDL_VIDEODRIVER": "dummy", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr
    for expected in (
        "hub.url",
        "hub.timout_s: unknown key (did you mean 'timeout_s'?)",
        "devices.idcard.port: Field required",
        "devices.idcard.poll_interval_ms",
        "devices.printer.type",
        "display.ppi",
    ):
        assert expected in err, err


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    proc = subprocess.run(  # noqa: PLW1510 - the exit status is what we assert
        [sys.executable, "main.py", "--config", str(tmp_path / "none.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "SDL_VIDEODRIVER": "dummy", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 2
    assert "file not found" in proc.stderr


def test_default_config_is_valid() -> None:
    from kiosk.config import load_config

    cfg = load_config(ROOT / "config" / "kiosk.toml")
    assert cfg.devices.simulated
    load_config(ROOT / "config" / "kiosk.production.example.toml")

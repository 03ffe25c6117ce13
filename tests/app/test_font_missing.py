"""Without a Chinese font the kiosk refuses to start, naming the package to install."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_cjk_font_exits_3_naming_the_package(tmp_path: Path) -> None:
    # An empty fontconfig: fc-match finds no font at all, as on a bare system.
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><fontconfig></fontconfig>', encoding="utf-8")
    kiosk = tmp_path / "kiosk.toml"
    kiosk.write_text(
        f'[hub]\nurl = "http://127.0.0.1:9"\n[journal]\npath = "{tmp_path / "j.sqlite"}"\n',
        encoding="utf-8",
    )
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        SDL_VIDEODRIVER="dummy",
        SDL_AUDIODRIVER="dummy",
        FONTCONFIG_FILE=str(conf),
    )
    proc = subprocess.run(  # noqa: PLW1510 - the exit status is what we assert
        [sys.executable, "main.py", "--config", str(kiosk), "--windowed", "640x480"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert "apt-get install fonts-noto-cjk" in proc.stderr

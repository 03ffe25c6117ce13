"""A bad config lists every problem with its key path and exits 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from drivers.printer import PrinterSettings
from kiosk.config import ConfigError, KioskConfig, parse_config

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


def test_every_printer_setting_can_be_set_from_kiosk_toml() -> None:
    """[devices.printer] is the driver's own settings model: cut and
    status_timeout included, errors with their key path."""
    assert KioskConfig().devices.printer == PrinterSettings()  # one set of defaults
    printer = parse_config(
        {
            "devices": {
                "printer": {
                    "type": "network",
                    "host": "192.0.2.10",
                    "profile": "generic-58mm",
                    "cut": "partial",
                    "status_timeout": 0.5,
                    "qr": "native",
                }
            }
        }
    ).devices.printer
    assert (printer.status_timeout, printer.host) == (0.5, "192.0.2.10")
    capabilities = printer.capabilities
    assert (capabilities.cut, capabilities.qr, capabilities.columns) == ("partial", "native", 32)

    with pytest.raises(ConfigError) as info:
        parse_config(
            {"devices": {"printer": {"cut": "sideways", "status_timeout": 0, "width_mm": 58}}}
        )
    problems = "\n".join(info.value.problems)
    assert "devices.printer.cut: Input should be 'full', 'partial' or 'none'" in problems
    assert "devices.printer.status_timeout: Input should be greater than 0" in problems
    assert "devices.printer.width_mm: unknown key (replaced by profile" in problems

"""systemd/install.sh: its dry run (what it would do) and its refusals.

The real run needs root, apt, useradd and a booted systemd, so the tests drive
``--dry-run`` with the HUIMIN_* directory overrides pointed at a temp dir and
check both what it prints and that nothing was touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.tools import require_tool

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "systemd" / "install.sh"


def run_install(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HUIMIN_PREFIX": str(tmp_path / "opt" / "huimin"),
        "HUIMIN_ETC_DIR": str(tmp_path / "etc" / "huimin"),
        "HUIMIN_UNIT_DIR": str(tmp_path / "etc" / "systemd" / "system"),
        "HUIMIN_UDEV_DIR": str(tmp_path / "etc" / "udev" / "rules.d"),
    }
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def commands(output: str) -> list[str]:
    return [line[2:] for line in output.splitlines() if line.startswith("+ ")]


def user_exists(name: str) -> bool:
    return subprocess.run(["id", "-u", name], capture_output=True, check=False).returncode == 0


def test_script_parses() -> None:
    assert subprocess.run(["bash", "-n", str(SCRIPT)], check=False).returncode == 0


def test_dry_run_prints_the_whole_install_and_changes_nothing(tmp_path: Path) -> None:
    had_user = user_exists("huimin")
    done = run_install(tmp_path, "--dry-run")
    assert done.returncode == 0, done.stderr
    cmds = commands(done.stdout)
    prefix = tmp_path / "opt" / "huimin"
    etc = tmp_path / "etc" / "huimin"
    units = tmp_path / "etc" / "systemd" / "system"
    expected_in_order = [
        f"install -d -m 0755 -o root -g root {etc}",
        "install -d -m 0750 -o huimin -g huimin /var/lib/huimin /var/log/huimin",
        f"install -m 0640 -o root -g huimin {REPO}/config/kiosk.production.example.toml "
        f"{etc}/kiosk.toml",
        f"cp -R {REPO}/drivers {prefix}/drivers.new",
        f"mv {prefix}/drivers.new {prefix}/drivers",
        f"{prefix}/.venv/bin/pip install --quiet --no-input --disable-pip-version-check "
        f"-r {prefix}/requirements.txt",
        f"install -m 0644 -o root -g root {REPO}/systemd/huimin-kiosk.service "
        f"{units}/huimin-kiosk.service",
        "udevadm control --reload",
        "systemctl daemon-reload",
        "systemctl enable huimin-kiosk.service",
    ]
    positions = [cmds.index(c) for c in expected_in_order]
    assert positions == sorted(positions)
    if not had_user:
        assert (
            "useradd --system --user-group --home-dir /var/lib/huimin --no-create-home "
            "--shell /usr/sbin/nologin huimin"
        ) in cmds
    # Only the kiosk was asked for.
    assert not any("huimin-hub" in c for c in cmds)
    assert not any(c.startswith("systemctl restart") for c in cmds)
    # Nothing happened.
    assert list(tmp_path.iterdir()) == []
    assert user_exists("huimin") == had_user


def test_dry_run_is_repeatable(tmp_path: Path) -> None:
    first = run_install(tmp_path, "--dry-run", "--hub")
    second = run_install(tmp_path, "--dry-run", "--hub")
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout


def test_hub_and_start(tmp_path: Path) -> None:
    done = run_install(tmp_path, "--dry-run", "--hub", "--no-kiosk", "--start")
    assert done.returncode == 0, done.stderr
    cmds = commands(done.stdout)
    assert "systemctl enable huimin-hub.service" in cmds
    assert "systemctl restart huimin-hub.service" in cmds
    assert not any("huimin-kiosk" in c or "udevadm" in c for c in cmds)
    assert (
        "install -d -m 0750 -o huimin-hub -g huimin-hub /var/lib/huimin-hub "
        "/var/log/huimin-hub" in cmds
    )


def test_existing_config_is_kept(tmp_path: Path) -> None:
    etc = tmp_path / "etc" / "huimin"
    etc.mkdir(parents=True)
    (etc / "kiosk.toml").write_text("# edited by the operator\n")
    done = run_install(tmp_path, "--dry-run")
    assert done.returncode == 0
    assert f"config {etc}/kiosk.toml: exists, kept" in done.stdout
    assert not any(c.endswith("kiosk.toml") for c in commands(done.stdout))
    assert (etc / "kiosk.toml").read_text() == "# edited by the operator\n"


@pytest.mark.parametrize("args", [("--bogus",), ("--no-kiosk",)])
def test_bad_options_are_refused(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = run_install(tmp_path, "--dry-run", *args)
    assert done.returncode == 2
    assert done.stdout == "" or "+ " not in done.stdout


def test_real_run_refuses_without_root(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        done = run_install(tmp_path)
    else:
        # Drop to nobody for this one run, on a copy in a directory nobody can read:
        # the clone itself may not be (a clone in /root, mode 0700, as in make fresh-check).
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp).chmod(0o755)
            copy = Path(tmp) / "install.sh"
            shutil.copy(SCRIPT, copy)
            done = subprocess.run(
                [
                    require_tool("setpriv"),
                    "--reuid=65534",
                    "--regid=65534",
                    "--clear-groups",
                    "bash",
                    str(copy),
                ],
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
    assert done.returncode == 1
    assert "must run as root" in done.stderr


def test_hub_gets_the_production_template_and_is_checked_before_start(tmp_path: Path) -> None:
    done = run_install(tmp_path, "--dry-run", "--hub", "--no-kiosk", "--start")
    assert done.returncode == 0, done.stderr
    cmds = commands(done.stdout)
    etc = tmp_path / "etc" / "huimin"
    prefix = tmp_path / "opt" / "huimin"
    placed = (
        f"install -m 0640 -o root -g huimin-hub {REPO}/config/hub.production.example.toml "
        f"{etc}/hub.toml"
    )
    assert placed in cmds
    assert not any(c.endswith(f"{REPO}/config/hub.toml") or " config/hub.toml" in c for c in cmds)
    check = f"{prefix}/.venv/bin/python -m hub --config {etc}/hub.toml --check"
    assert cmds.index(check) < cmds.index("systemctl restart huimin-hub.service")
    assert "the hub refuses to start until then" in done.stdout
    # The data key, made by the hub's own command once the app is installed, from the
    # unit's working directory, and handed to the hub's user; before the check.
    unit = (REPO / "systemd" / "huimin-hub.service").read_text(encoding="utf-8")
    workdir = unit.split("\nWorkingDirectory=", 1)[1].split("\n", 1)[0]
    make_key = (
        f"env -C {workdir} PYTHONPATH={prefix} {prefix}/.venv/bin/python -m hub "
        f"--config {etc}/hub.toml data-key create --owner huimin-hub"
    )
    pip = next(c for c in cmds if c.startswith(f"{prefix}/.venv/bin/pip install"))
    assert cmds.index(pip) < cmds.index(make_key) < cmds.index(check)
    assert cmds.index(make_key) < cmds.index("systemctl enable huimin-hub.service")

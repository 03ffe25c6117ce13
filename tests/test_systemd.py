"""The systemd units and udev rules in systemd/, checked with systemd's own tools.

``systemd-analyze verify`` runs offline (systemd need not be PID 1; it is not in
CI's container). It checks that ExecStart binaries exist and are executable, and
``cage`` and ``/opt/huimin/.venv`` are not installed on a CI machine. So the units
are verified *unchanged* under ``--root`` in a temporary root that holds the
distribution's unit files (for sysinit.target & co.) plus executable stand-ins
at the two ExecStart paths. With that, no warning at all is accepted.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tools import require_tool

REPO = Path(__file__).resolve().parent.parent
SYSTEMD = REPO / "systemd"
UNITS = ("huimin-kiosk.service", "huimin-hub.service")
STANDINS = ("usr/bin/cage", "opt/huimin/.venv/bin/python")
DIST_UNITS = Path("/usr/lib/systemd/system")
# Measured with systemd 252: kiosk 2.2, hub 1.7 ("OK"). 0 = locked down, 10 = unsafe.
MAX_EXPOSURE = 3.0
# Directives that may share one comment.
MAX_BLOCK = 3


def parse_unit(path: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) for every directive, in order; keys may repeat."""
    section = ""
    out: list[tuple[str, str, str]] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        out.append((section, key, value))
    return out


def values(path: Path, key: str) -> list[str]:
    return [v for _, k, v in parse_unit(path) if k == key]


@pytest.fixture(scope="module")
def fake_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tool("systemd-analyze")  # package systemd, which also ships DIST_UNITS
    root = tmp_path_factory.mktemp("root")
    shutil.copytree(DIST_UNITS, root / DIST_UNITS.relative_to("/"), symlinks=True)
    for standin in STANDINS:
        exe = root / standin
        exe.parent.mkdir(parents=True, exist_ok=True)
        exe.write_text("#!/bin/sh\nexit 0\n")
        exe.chmod(0o755)
    return root


@pytest.fixture
def installed(fake_root: Path) -> Iterator[Path]:
    """The units copied byte-for-byte to <root>/etc/systemd/system."""
    unit_dir = fake_root / "etc/systemd/system"
    unit_dir.mkdir(parents=True, exist_ok=True)
    for unit in UNITS:
        shutil.copyfile(SYSTEMD / unit, unit_dir / unit)
    yield unit_dir
    shutil.rmtree(unit_dir)


def verify(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            require_tool("systemd-analyze"),
            "verify",
            f"--root={root}",
            *(f"/etc/systemd/system/{unit}" for unit in UNITS),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_units_verify_without_any_warning(fake_root: Path, installed: Path) -> None:
    done = verify(fake_root)
    assert done.returncode == 0, done.stderr
    assert done.stdout + done.stderr == ""


def test_verify_catches_a_misspelt_directive(fake_root: Path, installed: Path) -> None:
    # Proves the clean result above means something: a typo is reported.
    unit = installed / "huimin-kiosk.service"
    unit.write_text(unit.read_text().replace("NoNewPrivileges=", "NoNewPrivilges="))
    done = verify(fake_root)
    assert "Unknown key 'NoNewPrivilges'" in done.stderr


def test_verify_reports_a_missing_executable(fake_root: Path, installed: Path) -> None:
    cage = fake_root / STANDINS[0]
    cage.chmod(0o644)
    try:
        done = verify(fake_root)
    finally:
        cage.chmod(0o755)
    assert done.returncode != 0
    assert "/usr/bin/cage is not executable" in done.stderr


@pytest.mark.parametrize("unit", UNITS)
def test_security_exposure_is_low(fake_root: Path, installed: Path, unit: str) -> None:
    done = subprocess.run(
        [
            require_tool("systemd-analyze"),
            "security",
            "--offline=true",
            f"--root={fake_root}",
            "--no-pager",
            f"/etc/systemd/system/{unit}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", done.stdout)
    assert match, done.stdout[-500:] + done.stderr
    assert float(match.group(1)) <= MAX_EXPOSURE


@pytest.mark.parametrize("unit", UNITS)
def test_every_directive_has_a_reason(unit: str) -> None:
    """Each directive sits in a block of at most three directives headed by a comment
    (STYLE: units in repo, commented) — a pair like User=/Group= may share a reason,
    a list of ten may not. Description= and Documentation= explain themselves."""
    lines = (SYSTEMD / unit).read_text(encoding="utf-8").splitlines()
    unexplained = []
    for number, line in enumerate(lines):
        if not line or line.startswith(("#", "[")):
            continue
        if line.startswith(("Description=", "Documentation=")):
            continue
        back = number - 1
        while back >= 0 and lines[back] and not lines[back].startswith(("#", "[")):
            back -= 1
        if back < 0 or not lines[back].startswith("#") or number - back > MAX_BLOCK:
            unexplained.append(line)
    assert unexplained == []


def test_kiosk_unit_contract() -> None:
    unit = SYSTEMD / "huimin-kiosk.service"
    assert values(unit, "ExecStart") == [
        "/usr/bin/cage -- /opt/huimin/.venv/bin/python /opt/huimin/main.py"
        " --config /etc/huimin/kiosk.toml"
    ]
    single = {
        "Type": "notify",
        "NotifyAccess": "all",
        "Restart": "always",
        "User": "huimin",
        "TTYPath": "/dev/tty1",
        "PAMName": "login",
        "ProtectSystem": "strict",
        "NoNewPrivileges": "yes",
        "PrivateTmp": "yes",
        "ProtectKernelTunables": "yes",
        "StandardInput": "tty-fail",
    }
    for key, expected in single.items():
        assert values(unit, key) == [expected], key
    # The watchdog interval the app halves (kiosk/watchdog.py).
    assert values(unit, "WatchdogSec") == ["30s"]
    groups = values(unit, "SupplementaryGroups")[0].split()
    assert {"dialout", "video", "input", "audio"} <= set(groups)
    # Writable: only our data and logs, plus the logind runtime dir cage needs
    # for its Wayland socket (explained in the unit).
    writable = " ".join(values(unit, "ReadWritePaths")).split()
    assert writable == ["/var/lib/huimin", "/var/log/huimin", "-/run/user"]
    # /home and /root hidden (ProtectHome= would also lock /run/user; see the unit).
    assert values(unit, "InaccessiblePaths") == ["-/home -/root"]
    assert values(unit, "ProtectHome") == []
    families = values(unit, "RestrictAddressFamilies")[0].split()
    assert "AF_PACKET" not in families
    assert "AF_UNIX" in families


def test_hub_unit_contract() -> None:
    unit = SYSTEMD / "huimin-hub.service"
    assert values(unit, "ExecStart") == [
        "/opt/huimin/.venv/bin/python -m hub --config /etc/huimin/hub.toml"
    ]
    assert values(unit, "User") == ["huimin-hub"]
    assert values(unit, "PrivateDevices") == ["yes"]
    assert values(unit, "ProtectSystem") == ["strict"]
    writable = " ".join(values(unit, "ReadWritePaths")).split()
    assert writable == ["/var/lib/huimin-hub", "/var/log/huimin-hub"]
    # Descriptors for many connections at once (issue 13: 350 held open).
    assert [int(v) for v in values(unit, "LimitNOFILE")] >= [4096]


# --- udev rules -------------------------------------------------------------------------

RULES = SYSTEMD / "99-huimin.rules"
RULE_TOKEN = re.compile(r'\s*([A-Z_]+(?:\{[^}]+\})?)\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*(?:,|$)')
MATCH_KEYS = {"SUBSYSTEM", "KERNEL", "ACTION"}
ASSIGN_KEYS = {"SYMLINK", "GROUP", "MODE", "TAG"}


def rule_lines() -> list[str]:
    return [
        line
        for line in RULES.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_udev_rules_are_well_formed() -> None:
    symlinks = set()
    for line in rule_lines():
        tokens = RULE_TOKEN.findall(line)
        # Every character of the line belongs to a token: no stray syntax.
        assert "".join(m.group(0) for m in RULE_TOKEN.finditer(line)) == line, line
        ops = {key: op for key, op, _ in tokens}
        for key, op, value in tokens:
            base = key.split("{")[0]
            if base in MATCH_KEYS or base == "ATTRS":
                assert op == "==", line
            if base in ASSIGN_KEYS or (base == "ENV" and op != "=="):
                assert op in {"=", "+="}, line
            if key in {"ATTRS{idVendor}", "ATTRS{idProduct}"}:
                assert re.fullmatch(r"[0-9a-f]{4}", value), line
            if key == "MODE":
                assert value == "0660", line  # never world-readable: ID-card data
            if key == "SYMLINK":
                symlinks.add(value)
        assert "ATTRS{idVendor}" in ops and "ATTRS{idProduct}" in ops, line
    assert symlinks == {"huimin-idcard", "huimin-printer", "huimin-scanner"}


def test_udev_names_are_the_ones_the_config_uses() -> None:
    config = REPO / "config" / "kiosk.production.example.toml"
    text = config.read_text(encoding="utf-8")
    tomllib.loads(text)  # the example must stay valid TOML
    used = set(re.findall(r"/dev/(huimin-[a-z]+)", text))
    provided = {
        v for line in rule_lines() for k, _, v in RULE_TOKEN.findall(line) if k == "SYMLINK"
    }
    assert used and used <= provided


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to bind-mount a rules dir privately")
def test_udevadm_parses_the_rules_without_complaint(tmp_path: Path) -> None:
    """udevadm (systemd 252 has no `udevadm verify`) loads /etc/udev/rules.d; in a private
    mount namespace we put only our file there and let `udevadm test` parse it."""
    udevadm, mount = require_tool("udevadm"), require_tool("mount")
    system_rules = require_tool("/etc/udev/rules.d")
    rules_dir = tmp_path / "rules.d"
    rules_dir.mkdir()
    shutil.copyfile(RULES, rules_dir / RULES.name)
    (rules_dir / "98-typo.rules").write_text('SUBSYSTEM=="tty", SYMLIINK+="x"\n')
    script = (
        f"{mount} --bind {rules_dir} {system_rules} && "
        f"{udevadm} test --action=add /sys/class/tty/tty1"
    )
    done = subprocess.run(
        [require_tool("unshare"), "--mount", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = done.stdout + done.stderr
    assert f"Reading rules file: /etc/udev/rules.d/{RULES.name}" in output
    # The planted typo proves complaints would show up...
    assert "98-typo.rules:1 Invalid key 'SYMLIINK'" in output
    # ...and our file has none.
    complaints = [line for line in output.splitlines() if RULES.name + ":" in line]
    assert complaints == []

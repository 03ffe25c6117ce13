"""Attack class 3: the documented install shipped the demo as production.

``install.sh --hub`` looked for config/hub.production.example.toml, which did
not exist, and fell back to config/hub.toml: demo citizens, the reusable
DEMO-ENROL code, the sandbox that pays without money, a published secret_key
and admin/huimin-demo. Even with demo_data = false the same defaults applied.

Here the real script installs onto a clean root, in a private mount namespace
(copies of /etc, empty /opt, /var/lib and /var/log; the host is not touched),
and the installed hub is started the way its systemd unit starts it: it must
refuse, one line per key and exit status 2, until the operator sets its
secrets; with them set it must start with no demo data, no demo code, no
sandbox and no API docs. Before the fix the install copied the demo config
and the hub started with all of that.

The installed virtualenv is a real venv whose packages come from the
developers' (a .pth line), so install.sh's ``pip install`` finds every
requirement satisfied instead of downloading them again. The hub runs as
root here: this machine's Python lives under /root, which the service user
cannot traverse.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.hub.conftest import REPO, free_port, start_hub_process, stop_process
from tests.security.production_hub import SECRET_KEY, production_config
from tests.tools import require_tool

EXAMPLE = REPO / "config" / "hub.production.example.toml"
UNIT = REPO / "systemd" / "huimin-hub.service"


def unit_values(key: str) -> list[str]:
    return [
        line.split("=", 1)[1]
        for line in UNIT.read_text(encoding="utf-8").splitlines()
        if line.startswith(f"{key}=")
    ]


# Every step runs as root in a private mount namespace made from the scratch
# root $1: a copy of /etc (made once), and empty /opt, /var/lib (but dpkg's
# database, which install.sh asks about packages) and /var/log.
_MOUNTS = r"""
set -euo pipefail
R="$1"
mount --make-rprivate /
[ -d "$R/etc" ] || cp -a /etc "$R/etc"
mount --bind "$R/etc" /etc
mkdir -p "$R/opt" "$R/varlib/dpkg" "$R/varlog"
mount --bind /var/lib/dpkg "$R/varlib/dpkg"
mount --rbind "$R/varlib" /var/lib
mount --bind "$R/varlog" /var/log
mount --bind "$R/opt" /opt
"""
# $2: the developers' site-packages, put on the installed venv's path.
_INSTALL = r"""
mkdir -p /opt/huimin
python3 -m venv /opt/huimin/.venv
echo "$2" > "$(echo /opt/huimin/.venv/lib/python3*/site-packages)/developers.pth"
bash "$R/src/systemd/install.sh" --hub --no-kiosk
"""


@pytest.fixture
def clean_root(tmp_path: Path) -> Iterator[Path]:
    """A scratch root with a copy of the source tree (what an operator clones)."""
    require_tool("unshare")
    require_tool("mount")
    root = tmp_path / "root"
    root.mkdir()
    root.chmod(0o755)
    src = root / "src"
    shutil.copytree(
        REPO,
        src,
        ignore=shutil.ignore_patterns(".venv", ".git", "var", "artifacts", "__pycache__"),
        symlinks=True,
    )
    yield root


def in_namespace(root: Path, script: str) -> subprocess.Popen[str]:
    """``script`` (bash) in a private mount namespace on the clean root."""
    site = sysconfig.get_paths()["purelib"]
    return subprocess.Popen(
        [require_tool("unshare"), "--mount", "bash", "-c", _MOUNTS + script, "ns", str(root), site],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_installed_hub(root: Path, extra: str = "") -> subprocess.Popen[str]:
    """The installed hub as its unit starts it: ExecStart with the unit's
    Environment= lines, from its WorkingDirectory (mounts as after install)."""
    exports = "".join(f"export {pair}\n" for pair in unit_values("Environment"))
    script = (
        f"{exports}mkdir -p {unit_values('WorkingDirectory')[0]}\n"
        f"cd {unit_values('WorkingDirectory')[0]}\n"
        f"exec {unit_values('ExecStart')[0]} {extra}\n"
    )
    return in_namespace(root, script)


def test_install_refuses_to_fall_back_to_the_demo_config(tmp_path: Path) -> None:
    tree = tmp_path / "src"
    (tree / "systemd").mkdir(parents=True)
    (tree / "config").mkdir()
    shutil.copy(REPO / "systemd" / "install.sh", tree / "systemd" / "install.sh")
    shutil.copy(REPO / "config" / "hub.toml", tree / "config" / "hub.toml")
    env = {
        **os.environ,
        "HUIMIN_PREFIX": str(tmp_path / "opt"),
        "HUIMIN_ETC_DIR": str(tmp_path / "etc"),
        "HUIMIN_UNIT_DIR": str(tmp_path / "units"),
    }
    done = subprocess.run(
        ["bash", str(tree / "systemd" / "install.sh"), "--dry-run", "--hub", "--no-kiosk"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "hub.production.example.toml is missing" in done.stderr
    assert "hub.toml" not in "".join(
        line for line in done.stdout.splitlines() if "install -m" in line
    )


def test_clean_root_install_refuses_until_the_secrets_are_set(clean_root: Path) -> None:
    installed = in_namespace(clean_root, _INSTALL)
    out, err = installed.communicate(timeout=600)
    assert installed.returncode == 0, out[-2000:] + err[-2000:]
    assert "the hub refuses to start until then" in out
    config = clean_root / "etc" / "huimin" / "hub.toml"
    # The production template, never the demo's config.
    assert config.read_bytes() == EXAMPLE.read_bytes()
    assert config.stat().st_mode & 0o777 == 0o640
    assert (clean_root / "opt" / "huimin" / "hub" / "production.py").is_file()
    # The data key, made by the install for the hub's user alone.
    key_file = clean_root / "varlib" / "huimin-hub" / "hub-data.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_file.stat().st_uid == _uid_in(clean_root, "huimin-hub") != 0

    # As installed: refused, one line per key, exit status 2; nothing listens.
    refused = run_installed_hub(clean_root)
    out, err = refused.communicate(timeout=120)
    assert refused.returncode == 2, err[-2000:]
    lines = err.strip().splitlines()
    assert [line.split(" ")[4] for line in lines] == [
        "hub.secret_key",
        "hub.bootstrap_password",
        "hub.public_url",
    ], lines
    assert all(line.startswith("hub refuses to start: ") for line in lines)

    # The operator sets the secrets (and, here, a free port): it starts, without the demo.
    port = free_port()
    config.write_text(
        config.read_text(encoding="utf-8")
        .replace('"SET-ME: 32+ random characters"', f'"{SECRET_KEY}"')
        .replace('"SET-ME: a one-time password"', '"Boot-strap-pass-1"')
        .replace('# public_url = "https', 'public_url = "https')
        .replace("port = 8700", f"port = {port}"),
        encoding="utf-8",
    )
    hub = run_installed_hub(clean_root)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url, hub)
        with httpx.Client(base_url=url, timeout=10) as client:
            _assert_no_demo(client)
    finally:
        hub.terminate()
        hub.communicate(timeout=30)
    db = clean_root / "varlib" / "huimin-hub" / "hub.db"
    assert db.is_file()
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT count(*) FROM svc_demo_persons").fetchone() == (0,)
        assert conn.execute("SELECT username, role FROM fleet_operators").fetchall() == [
            ("secadmin", "security_admin")
        ]
    finally:
        conn.close()


def _uid_in(root: Path, user: str) -> int:
    """The uid of ``user`` in the scratch root's /etc/passwd (where install.sh made it)."""
    for line in (root / "etc" / "passwd").read_text(encoding="utf-8").splitlines():
        fields = line.split(":")
        if fields[0] == user:
            return int(fields[2])
    raise AssertionError(f"no user {user} in the installed /etc/passwd")


def _wait_for(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _, err = proc.communicate()
            raise AssertionError(f"hub exited {proc.returncode}: {err[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the installed hub did not answer /healthz within 60 s")


def _assert_no_demo(client: httpx.Client) -> None:
    """What a production hub must not offer: the demo code, the sandbox's
    pay-without-money route, the API docs, the demo accounts."""
    enrol = client.post(
        "/api/v1/terminal/enrol",
        json={"code": "DEMO-ENROL", "name": "attacker", "place": {"county": "兰考县"}},
    )
    assert enrol.status_code in (401, 403), enrol.text
    assert client.post("/api/v1/services/payments/sandbox/pay/HM1").status_code == 404
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404, path
    page = client.get("/console/login").text
    assert "演示模式" not in page
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    demo = client.post(
        "/console/login", data={"username": "admin", "password": "huimin-demo", "csrf_token": token}
    )
    assert demo.status_code == 401


def test_demo_defaults_with_demo_data_off_are_refused(tmp_path: Path) -> None:
    """demo_data = false alone, with the demo's secret, password and sandbox: refused
    by a real ``python -m hub``, every unsafe key named, exit status 2."""
    config = tmp_path / "hub.toml"
    config.write_text(
        '[hub]\ndemo_data = false\npayment_provider = "sandbox"\n'
        f'catalogue_path = "{REPO / "config" / "catalogue.json"}"\n'
        f'data_key_file = "{tmp_path / "hub-data.key"}"\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "hub",
            "--config",
            str(config),
            "--database-url",
            f"sqlite:///{tmp_path / 'hub.db'}",
            "--port",
            "0",
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    keys = [line.split(" ")[4].rstrip(":") for line in done.stderr.strip().splitlines()]
    assert keys == [
        "hub.secret_key",
        "hub.bootstrap_password",
        "hub.public_url",
        "hub.payment_provider",
        "hub.data_key_file",  # only a demo hub makes its own key
    ], done.stderr
    assert not (tmp_path / "hub.db").exists()  # refused before touching the database
    assert not (tmp_path / "hub-data.key").exists()


def test_a_configured_production_hub_serves_no_demo(tmp_path: Path) -> None:
    proc, url = start_hub_process(
        f"sqlite:///{tmp_path / 'hub.db'}", tmp_path, production_config(tmp_path)
    )
    try:
        with httpx.Client(base_url=url, timeout=10) as client:
            _assert_no_demo(client)
    finally:
        stop_process(proc)


def test_no_listener_is_left_by_a_refused_start(tmp_path: Path) -> None:
    """A refused hub binds nothing (the port stays free for the fixed config)."""
    port = free_port()
    config = tmp_path / "hub.toml"
    config.write_text(production_config(tmp_path, public_url='"not a url"'), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "hub", "--config", str(config), "--port", str(port)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2 and "hub.public_url" in done.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))

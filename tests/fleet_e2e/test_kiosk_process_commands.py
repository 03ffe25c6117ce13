"""Console → hub → a real kiosk process, end to end (issue 6).

``python main.py`` runs as its own process (SDL dummy video, simulated
devices) against ``python -m hub``; an operator logged into the console
sends commands and the kiosk really carries them out: it enters and leaves
maintenance mode (reported back in its heartbeats), uploads a screenshot,
and restarts (its process image is replaced and its uptime starts again).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.hub.conftest import ADMIN_PASSWORD, REPO, prepare_schema, start_hub_process, stop_process
from tests.hub.fleet.helpers import login

NAME = "进程测试终端"


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class HubDb:
    def __init__(self, path: Path) -> None:
        self.path = path

    def one(self, sql: str, *args: Any) -> Any:
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute(sql, args).fetchone()
        finally:
            conn.close()


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[str, HubDb]]:
    db = tmp_path / "hub.db"
    url = f"sqlite:///{db}"
    prepare_schema(url)
    proc, base = start_hub_process(url, tmp_path)
    try:
        yield base, HubDb(db)
    finally:
        stop_process(proc)


@pytest.fixture
def kiosk(hub: tuple[str, HubDb], tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    base, _ = hub
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f"""
[hub]
url = "{base}"
enrolment_code = "DEMO-ENROL"
credential_path = "{tmp_path / "credential.json"}"
heartbeat_interval_s = 5
offline_cache_dir = "{tmp_path / "offline"}"
[terminal]
name = "{NAME}"
service_point = "dbt-zhangzhuang"
[speech]
enabled = false
cache_dir = "{tmp_path / "speech"}"
[display]
fullscreen = false
[journal]
path = "{tmp_path / "journal.sqlite"}"
""",
        encoding="utf-8",
    )
    env = dict(os.environ, PYTHONPATH=str(REPO), SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    log = (tmp_path / "kiosk.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "main.py", "--config", str(config), "--windowed", "800x600"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield proc
    finally:
        stop_process(proc)
        log.close()


def test_console_commands_reach_the_kiosk_process(
    hub: tuple[str, HubDb], kiosk: subprocess.Popen[bytes]
) -> None:
    base, db = hub
    terminal_id = wait_for(
        "the kiosk to enrol and send a heartbeat",
        lambda: db.one(
            "SELECT id FROM fleet_terminals WHERE name = ? AND last_seen_at IS NOT NULL", NAME
        ),
    )[0]

    def command_done(command_id: int) -> tuple[str, str] | None:
        row = db.one("SELECT state, result FROM fleet_commands WHERE id = ?", command_id)
        return (row[0], row[1]) if row and row[0] in ("done", "failed") else None

    with httpx.Client(base_url=base, timeout=10, follow_redirects=True) as console:
        csrf = login(console, "admin", ADMIN_PASSWORD)

        def send(kind: str, **fields: str) -> tuple[str, str]:
            before = db.one("SELECT COALESCE(MAX(id), 0) FROM fleet_commands")[0]
            reply = console.post(
                f"/console/terminals/{terminal_id}/commands",
                data={"kind": kind, "csrf_token": csrf, **fields},
            )
            assert reply.status_code == 200, reply.text[-300:]
            command_id = wait_for(
                f"{kind} queued",
                lambda: db.one(
                    "SELECT id FROM fleet_commands WHERE id > ? AND kind = ?", before, kind
                ),
            )[0]
            return wait_for(f"{kind} acknowledged", lambda: command_done(command_id))

        assert send("maintenance_on", message="系统升级，暂停服务") == ("done", "maintenance on")
        wait_for(
            "the heartbeat to report maintenance",
            lambda: db.one("SELECT maintenance FROM fleet_terminals WHERE id = ?", terminal_id)[0],
        )
        assert db.one("SELECT screen FROM fleet_terminals WHERE id = ?", terminal_id)[0] == (
            "out_of_service"
        )

        state, _ = send("screenshot")
        assert state == "done"
        png = db.one("SELECT png FROM fleet_screenshots WHERE terminal_id = ?", terminal_id)[0]
        assert png.startswith(b"\x89PNG") and len(png) > 1000

        assert send("maintenance_off") == ("done", "maintenance off")
        wait_for(
            "the heartbeat to report service again",
            lambda: (
                not db.one("SELECT maintenance FROM fleet_terminals WHERE id = ?", terminal_id)[0]
            ),
        )

        wait_for(
            "uptime to pass 5 s",
            lambda: (
                db.one("SELECT uptime_s FROM fleet_terminals WHERE id = ?", terminal_id)[0] >= 5
            ),
        )
        assert send("restart") == ("done", "restarting")
        # The same process re-executes itself (systemd's Restart=always does it in
        # production): its uptime starts from zero and it keeps its credential.
        wait_for(
            "a heartbeat from the restarted kiosk",
            lambda: db.one("SELECT uptime_s FROM fleet_terminals WHERE id = ?", terminal_id)[0] < 5,
        )
        assert kiosk.poll() is None
        count = db.one("SELECT COUNT(*) FROM fleet_terminals WHERE name = ?", NAME)[0]
        assert count == 1  # not enrolled twice

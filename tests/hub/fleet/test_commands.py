"""Remote commands over real HTTP: long-poll delivery (same process and across
two hub processes sharing the database), acks, redelivery."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from hub.fleet.clock import utcnow
from hub.fleet.models import Command
from hub.settings import HubSettings
from tests.hub.conftest import ADMIN_PASSWORD, LiveHub
from tests.hub.fleet.helpers import enrol, login


class Poll(threading.Thread):
    """A terminal's long-poll running in the background."""

    def __init__(self, url: str, auth: dict[str, str], wait: float) -> None:
        super().__init__(daemon=True)
        self.url, self.auth, self.wait = url, auth, wait
        self.result: list[dict[str, Any]] | None = None
        self.status = 0
        self.elapsed = 0.0
        self.started_at = 0.0

    def run(self) -> None:
        self.started_at = time.monotonic()
        reply = httpx.get(
            f"{self.url}/api/v1/terminal/commands",
            params={"wait": self.wait},
            headers=self.auth,
            timeout=self.wait + 10,
        )
        self.elapsed = time.monotonic() - self.started_at
        self.status = reply.status_code
        self.result = reply.json()


def _queue_from_console(
    console: httpx.Client, terminal_id: int, csrf: str, kind: str, **fields: str
) -> None:
    reply = console.post(
        f"/console/terminals/{terminal_id}/commands",
        data={"kind": kind, "csrf_token": csrf, **fields},
    )
    assert reply.status_code == 200, reply.text[-500:]


def test_long_poll_delivers_at_once_and_ack_completes(
    make_settings: Callable[..., HubSettings], live_hub_factory: Callable[[HubSettings], LiveHub]
) -> None:
    hub = live_hub_factory(make_settings())
    with (
        httpx.Client(base_url=hub.url, timeout=10) as terminal,
        httpx.Client(base_url=hub.url, timeout=10, follow_redirects=True) as console,
    ):
        terminal_id, auth = enrol(terminal)
        csrf = login(console, "admin", ADMIN_PASSWORD)
        poll = Poll(hub.url, auth, wait=20)
        poll.start()
        time.sleep(0.5)  # the poll is now waiting
        queued_at = time.monotonic()
        _queue_from_console(
            console, terminal_id, csrf, "maintenance_on", message="系统升级，暂停服务"
        )
        poll.join(timeout=25)
        assert poll.status == 200
        latency = poll.started_at + poll.elapsed - queued_at
        # The long-poll waits 25 s: delivery in seconds proves it woke. The latency
        # figure itself is bench/command_latency.py's (p99 ≤ 1 s), not a test's.
        assert latency < 5.0, f"delivery took {latency:.2f} s"
        assert poll.result is not None and len(poll.result) == 1
        command = poll.result[0]
        assert set(command) == {"id", "kind", "args"}
        assert command["kind"] == "maintenance_on"
        assert command["args"] == {"message": "系统升级，暂停服务"}
        page = console.get(f"/console/terminals/{terminal_id}")
        assert 'data-state="delivered"' in page.text
        ack = terminal.post(
            f"/api/v1/terminal/commands/{command['id']}/ack",
            json={"ok": True, "result": "维护模式已开启"},
            headers=auth,
        )
        assert ack.status_code == 204 and ack.content == b""
        with hub.app.state.engine.connect() as conn:
            row = conn.execute(select(Command).where(Command.id == command["id"])).one()
        assert row.state == "done" and row.result == "维护模式已开启"
        assert row.created_at <= row.delivered_at <= row.finished_at
        # A retried ack keeps the first outcome.
        terminal.post(
            f"/api/v1/terminal/commands/{command['id']}/ack",
            json={"ok": False, "result": "x"},
            headers=auth,
        )
        with hub.app.state.engine.connect() as conn:
            assert (
                conn.execute(select(Command.state).where(Command.id == command["id"])).scalar_one()
                == "done"
            )
        empty = terminal.get("/api/v1/terminal/commands", params={"wait": 0}, headers=auth)
        assert empty.json() == []


def test_delivery_across_two_hub_processes(
    make_settings: Callable[..., HubSettings], live_hub_factory: Callable[[HubSettings], LiveHub]
) -> None:
    settings = make_settings()
    hub_a = live_hub_factory(settings)
    hub_b = live_hub_factory(settings)  # separate app, engine and command bus, same database
    with (
        httpx.Client(base_url=hub_a.url, timeout=10) as terminal,
        httpx.Client(base_url=hub_b.url, timeout=10, follow_redirects=True) as console,
    ):
        terminal_id, auth = enrol(terminal)
        csrf = login(console, "admin", ADMIN_PASSWORD)
        poll = Poll(hub_a.url, auth, wait=20)
        poll.start()
        time.sleep(0.5)
        queued_at = time.monotonic()
        _queue_from_console(console, terminal_id, csrf, "set_volume", step="2")
        poll.join(timeout=25)
        latency = poll.started_at + poll.elapsed - queued_at
        assert poll.result is not None and [c["kind"] for c in poll.result] == ["set_volume"]
        assert poll.result[0]["args"] == {"step": 2}
        assert latency < 5.0, f"cross-process delivery took {latency:.2f} s"
        failed = terminal.post(
            f"/api/v1/terminal/commands/{poll.result[0]['id']}/ack",
            json={"ok": False, "result": "无音频设备"},
            headers=auth,
        )
        assert failed.status_code == 204
        with hub_b.app.state.engine.connect() as conn:
            assert conn.execute(select(Command.state)).scalar_one() == "failed"


def test_empty_poll_waits_then_returns_empty_list(
    make_settings: Callable[..., HubSettings], live_hub_factory: Callable[[HubSettings], LiveHub]
) -> None:
    hub = live_hub_factory(make_settings())
    with httpx.Client(base_url=hub.url, timeout=10) as terminal:
        _, auth = enrol(terminal)
        start = time.monotonic()
        reply = terminal.get("/api/v1/terminal/commands", params={"wait": 1}, headers=auth)
        elapsed = time.monotonic() - start
        assert reply.status_code == 200 and reply.json() == []
        assert 0.9 <= elapsed < 3.0
        assert (
            terminal.get(
                "/api/v1/terminal/commands", params={"wait": 999}, headers=auth
            ).status_code
            == 422
        )


def test_unacknowledged_command_is_delivered_again(
    make_settings: Callable[..., HubSettings], live_hub_factory: Callable[[HubSettings], LiveHub]
) -> None:
    hub = live_hub_factory(make_settings())
    with (
        httpx.Client(base_url=hub.url, timeout=10) as terminal,
        httpx.Client(base_url=hub.url, timeout=10, follow_redirects=True) as console,
    ):
        terminal_id, auth = enrol(terminal)
        csrf = login(console, "admin", ADMIN_PASSWORD)
        _queue_from_console(console, terminal_id, csrf, "test_print")
        first = terminal.get("/api/v1/terminal/commands", params={"wait": 0}, headers=auth).json()
        assert [c["kind"] for c in first] == ["test_print"]
        assert (
            terminal.get("/api/v1/terminal/commands", params={"wait": 0}, headers=auth).json() == []
        )
        with hub.app.state.engine.begin() as conn:
            conn.execute(update(Command).values(delivered_at=utcnow() - timedelta(minutes=5)))
        again = terminal.get("/api/v1/terminal/commands", params={"wait": 0}, headers=auth).json()
        assert [c["id"] for c in again] == [first[0]["id"]]

"""Alert webhook against a real local HTTP receiver, and the hub run as
``python -m hub`` (the deployable) serving the terminal API and console."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from hub.settings import HubSettings
from tests.hub.conftest import build_app
from tests.hub.fleet.helpers import enrol, heartbeat_body, login


class Receiver:
    """A webhook receiver on a free loopback port; ``delay_s`` makes it slow."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.payloads: list[dict[str, Any]] = []
        received = self.payloads

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(delay_s)
                received.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True  # do not wait for slow handlers on close
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def test_alerts_are_posted_to_the_webhook(
    receiver: Receiver, make_settings: Callable[..., HubSettings]
) -> None:
    app = build_app(make_settings(webhook_url=receiver.url))
    with TestClient(app) as client:
        terminal_id, auth = enrol(client)
        client.post("/api/v1/terminal/heartbeat", json=heartbeat_body(paper="out"), headers=auth)
        client.post("/api/v1/terminal/heartbeat", json=heartbeat_body(paper="full"), headers=auth)
        deadline = time.monotonic() + 10
        while len(receiver.payloads) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    app.state.engine.dispose()
    events = [(p["event"], p["kind"], p["terminal_id"]) for p in receiver.payloads]
    assert events == [("raised", "paper_out", terminal_id), ("resolved", "paper_out", terminal_id)]
    assert (
        receiver.payloads[0]["label"] == "打印机缺纸"
        and receiver.payloads[0]["subject"] == "printer"
    )


def test_slow_or_dead_webhook_never_blocks_heartbeats(
    make_settings: Callable[..., HubSettings],
) -> None:
    with Receiver(delay_s=2.0) as slow:
        app = build_app(make_settings(webhook_url=slow.url))
        with TestClient(app) as client:
            _, auth = enrol(client)
            start = time.monotonic()
            for paper in ("out", "full", "low", "full"):
                reply = client.post(
                    "/api/v1/terminal/heartbeat", json=heartbeat_body(paper=paper), headers=auth
                )
                assert reply.status_code == 200
            assert time.monotonic() - start < 2.0
    app.state.engine.dispose()
    dead = build_app(make_settings(webhook_url="http://127.0.0.1:9/unreachable"))
    with TestClient(dead) as client:
        _, auth = enrol(client)
        start = time.monotonic()
        reply = client.post(
            "/api/v1/terminal/heartbeat", json=heartbeat_body(paper="out"), headers=auth
        )
        assert reply.status_code == 200 and time.monotonic() - start < 2.0
    dead.state.engine.dispose()


def test_python_m_hub_serves_terminal_api_and_console(hub_process: str) -> None:
    with httpx.Client(base_url=hub_process, timeout=10) as client:
        terminal_id, auth = enrol(client)
        reply = client.post("/api/v1/terminal/heartbeat", json=heartbeat_body(), headers=auth)
        assert reply.status_code == 200
        assert reply.json() == {"ok": True, "next_interval_s": 30, "commands_pending": 0}
        login(client, "admin", "huimin-test-admin")
        page = client.get("/console/", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "张庄村1号机" in page.text and "在线" in page.text
        assert f'data-terminal="{terminal_id}"' in page.text

"""Concurrent heartbeats over real HTTP: on PostgreSQL they are written in
batches (one UPDATE … FROM VALUES per round trip); every terminal must still
get its own answer and its own row."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import insert, select

from hub.fleet.clock import utcnow
from hub.fleet.models import Command, Terminal
from hub.settings import HubSettings
from tests.hub.conftest import LiveHub
from tests.hub.fleet.helpers import enrol, heartbeat_body


def test_concurrent_heartbeats_each_get_their_own_answer(
    make_settings: Callable[..., HubSettings], live_hub_factory: Callable[[HubSettings], LiveHub]
) -> None:
    hub = live_hub_factory(make_settings())
    with httpx.Client(base_url=hub.url, timeout=10) as client:
        terminals = [enrol(client, name=f"并发{i}") for i in range(12)]
        for _, auth in terminals:  # first heartbeat: full path
            assert (
                client.post(
                    "/api/v1/terminal/heartbeat", json=heartbeat_body(), headers=auth
                ).status_code
                == 200
            )
    busy_id = terminals[3][0]
    with hub.app.state.engine.begin() as conn:
        conn.execute(
            insert(Command).values(
                terminal_id=busy_id,
                kind="restart",
                args_json="{}",
                state="queued",
                created_by="t",
                created_at=utcnow(),
            )
        )

    def beat(index: int) -> list[tuple[int, int]]:
        terminal_id, auth = terminals[index % len(terminals)]
        answers = []
        with httpx.Client(base_url=hub.url, timeout=10) as own:
            for round_ in range(8):
                body = heartbeat_body()
                body["uptime_s"] = 1000 * terminal_id + round_
                reply = own.post("/api/v1/terminal/heartbeat", json=body, headers=auth)
                assert reply.status_code == 200, reply.text
                answers.append((terminal_id, reply.json()["commands_pending"]))
        return answers

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = [a for answers in pool.map(beat, range(12)) for a in answers]
    assert len(results) == 96
    assert all(pending == (1 if terminal_id == busy_id else 0) for terminal_id, pending in results)
    with hub.app.state.engine.connect() as conn:
        rows = conn.execute(select(Terminal.id, Terminal.uptime_s)).all()
    assert {r.id: r.uptime_s for r in rows} == {tid: 1000 * tid + 7 for tid, _ in terminals}

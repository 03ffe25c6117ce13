"""Upstream reporting against the loopback platform peer: every application
event and rating captured in its own transaction, pushed in signed batches,
exactly once though the platform refused, stalled or was sent a batch twice;
the documented schema is the one the hub sends."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from hub.backoffice import upstream
from hub.backoffice.models import UpstreamRecordRow
from hub.backoffice.runtime import BackOffice
from hub.backoffice.sms import RecordingGateway, SmsDispatcher
from hub.backoffice.workflow import Action, find, perform
from hub.services.clock import ManualClock
from hub.services.context import ServiceContext
from tests.hub.backoffice.conftest import apply
from tests.hub.services.conftest import S
from tools.peers.upstream import UpstreamPeer

KEY = b"upstream-test-key-0123456789abcd"
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def peer() -> Iterator[UpstreamPeer]:
    with UpstreamPeer(KEY) as running:
        yield running


@pytest.fixture
def pusher(ctx: ServiceContext, clock: ManualClock, peer: UpstreamPeer) -> upstream.UpstreamPusher:
    upstream.install_capture(ctx.factory, clock)
    client = upstream.UpstreamClient(peer.url, KEY, timeout_s=1.0)
    return upstream.UpstreamPusher(ctx.factory, client, clock, "lankao-test")


def act(ctx: ServiceContext, clock: ManualClock, no: str, action: Action, **kw: str) -> None:
    with ctx.factory() as s, s.begin():
        perform(s, find(s, no), action, actor="clerk1", now=clock.now(), **kw)


def rate(client: TestClient, clock: ManualClock) -> None:
    reply = client.post(
        f"{S}/ratings",
        json={
            "service_id": "rsi_resident_pension_enrol",
            "level": 1,
            "reasons": [],
            "terminal_session_id": "s-upstream-1",
            "at": clock.now().isoformat(),
        },
    )
    assert reply.status_code in (200, 201), reply.text


def test_every_event_and_rating_arrives_exactly_once_through_refusal_and_stall(
    svc_client: TestClient,
    ctx: ServiceContext,
    clock: ManualClock,
    peer: UpstreamPeer,
    pusher: upstream.UpstreamPusher,
) -> None:
    no = apply(svc_client, method="post", address="河南省兰考县东坝头镇张庄村幸福路8号")
    for action, kw in (
        (Action.ACCEPT, {}),
        (Action.APPROVE, {}),
        (Action.GRANT, {}),
        (Action.SHIP, {"waybill": "EMS1234567890"}),
    ):
        act(ctx, clock, no, action, **kw)
    rate(svc_client, clock)
    peer.log.fail_next = 1
    assert pusher.drain() == 0  # refused: nothing marked sent
    backlog = upstream.backlog(ctx.factory())
    assert backlog.unsent == 6 and backlog.last_success is None
    assert backlog.last_error == "上报被拒绝：HTTP 503"
    clock.advance(upstream.BACKOFF_S[0])
    peer.log.stall_next_s = 2.0  # longer than the client's 1 s: a timeout
    assert pusher.drain() == 0
    clock.advance(upstream.BACKOFF_S[1])
    assert pusher.drain() == 6
    assert upstream.backlog(ctx.factory()).unsent == 0
    # The stalled attempt reaches the platform after all (its answer came too
    # late): it is the same batch as the retry, so the platform drops it.
    deadline = time.monotonic() + 10
    while peer.log.duplicate_batches == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(peer.log.batches) == 1 and peer.log.duplicate_batches == 1
    assert peer.log.duplicate_records == 0 and peer.log.bad_signatures == 0
    mine = [r for r in peer.log.records.values() if r.get("acceptance_no") == no]
    assert [r["status"] for r in mine] == ["accepted", "reviewing", "approved", "done", "mailed"]
    assert mine[-1]["waybill_no"] == "EMS1234567890" and mine[0]["action"] == ""
    assert [r["kind"] for r in peer.log.records.values()].count("rating") == 1
    assert all("id_number" not in r and "phone" not in r for r in peer.log.records.values())
    assert pusher.drain() == 0  # nothing twice


def test_a_rolled_back_change_is_never_reported(
    svc_client: TestClient, ctx: ServiceContext, clock: ManualClock, pusher: upstream.UpstreamPusher
) -> None:
    no = apply(svc_client)
    with ctx.factory() as s:
        perform(s, find(s, no), Action.ACCEPT, actor="clerk1", now=clock.now())
        s.rollback()
    with ctx.factory() as s:
        records = s.scalars(select(UpstreamRecordRow.payload)).all()
    assert [r["status"] for r in records] == ["accepted"]


def test_a_backlog_older_than_the_limit_alerts_once_and_resolves(
    svc_client: TestClient,
    ctx: ServiceContext,
    clock: ManualClock,
    peer: UpstreamPeer,
    pusher: upstream.UpstreamPusher,
) -> None:
    alerts: list[dict[str, Any]] = []
    office = BackOffice(
        factory=ctx.factory,
        clock=clock,
        dispatcher=SmsDispatcher(ctx.factory, RecordingGateway(), clock),
        yellow_share=0.8,
        interval_s=60,
        send_alerts=alerts.extend,
        pusher=pusher,
        upstream_max_age=timedelta(hours=12),
    )
    apply(svc_client)
    peer.log.fail_next = 10_000  # the platform is down
    clock.advance(11 * 3600)
    pusher.drain()
    assert not office.check_upstream() and alerts == []
    clock.advance(3600 + 1)
    assert office.check_upstream() and office.check_upstream()
    assert [(a["event"], a["kind"]) for a in alerts] == [("raised", "upstream_backlog")]
    peer.log.fail_next = 0
    with ctx.factory() as s, s.begin():
        s.execute(update(UpstreamRecordRow).values(next_attempt_at=UpstreamRecordRow.created_at))
    assert pusher.drain() == 1  # the backlog drains when the platform is back
    assert not office.check_upstream()
    assert [a["event"] for a in alerts] == ["raised", "resolved"]


def test_the_documented_schema_is_the_one_sent() -> None:
    documented = json.loads((REPO / "docs/upstream-batch.schema.json").read_text("utf-8"))
    assert documented == upstream.schema(), "regenerate docs/upstream-batch.schema.json"

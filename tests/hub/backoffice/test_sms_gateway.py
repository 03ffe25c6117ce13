"""Progress SMS through the HTTP gateway adapter, against the loopback peer
that checks signatures: signed, retried with backoff through an outage,
never texted twice, never logged with the phone."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from hub.backoffice.models import SmsOutboxRow
from hub.backoffice.sms import (
    BACKOFF_S,
    FAILED,
    PENDING,
    SENT,
    HttpSmsGateway,
    SmsDispatcher,
    retry_failed,
)
from hub.backoffice.workflow import Action, find, perform
from hub.services.clock import ManualClock
from hub.services.context import ServiceContext
from tests.hub.backoffice.conftest import apply
from tools.peers.sms_gateway import SmsGatewayPeer

KEY = b"sms-gateway-test-key-0123456789"
PHONE = "18637812345"


@pytest.fixture
def peer() -> Iterator[SmsGatewayPeer]:
    with SmsGatewayPeer(KEY) as running:
        yield running


def accept(ctx: ServiceContext, clock: ManualClock, no: str) -> None:
    with ctx.factory() as s, s.begin():
        perform(s, find(s, no), Action.ACCEPT, actor="clerk1", now=clock.now())


def outbox(ctx: ServiceContext) -> list[SmsOutboxRow]:
    with ctx.factory() as s:
        return list(s.scalars(select(SmsOutboxRow).order_by(SmsOutboxRow.id)))


def test_each_message_arrives_signed_once_through_an_outage(
    svc_client: TestClient,
    ctx: ServiceContext,
    clock: ManualClock,
    peer: SmsGatewayPeer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    dispatcher = SmsDispatcher(ctx.factory, HttpSmsGateway(peer.url, KEY, "huimin_progress"), clock)
    no = apply(svc_client)
    accept(ctx, clock, no)
    peer.log.fail_next = 2
    assert dispatcher.drain() == 0
    [row] = outbox(ctx)
    assert (row.status, row.attempts, row.last_error) == (PENDING, 1, "网关拒绝：HTTP 503")
    assert dispatcher.drain() == 0  # not due before its backoff
    clock.advance(BACKOFF_S[0])
    assert dispatcher.drain() == 0
    clock.advance(BACKOFF_S[1])
    assert dispatcher.drain() == 1
    [row] = outbox(ctx)
    assert (row.status, row.attempts) == (SENT, 3)
    assert peer.log.refused == 2 and peer.log.bad_signatures == 0
    [message] = peer.log.messages.values()
    assert message["phone"] == PHONE and message["message_id"] == row.key
    assert no in message["params"]["text"] and "受理" in message["params"]["text"]
    # A hub that died after the gateway took it resends: the gateway drops the copy.
    with ctx.factory() as s, s.begin():
        s.execute(update(SmsOutboxRow).values(status=PENDING))
    assert dispatcher.drain() == 1
    assert len(peer.log.messages) == 1 and peer.log.duplicates == 1
    assert PHONE not in caplog.text and "1863781" not in caplog.text


def test_a_wrong_key_is_refused_by_the_gateway_and_kept_as_failed(
    svc_client: TestClient, ctx: ServiceContext, clock: ManualClock, peer: SmsGatewayPeer
) -> None:
    wrong = HttpSmsGateway(peer.url, b"not-the-gateway-key-0000", "huimin_progress")
    no = apply(svc_client)
    accept(ctx, clock, no)
    assert SmsDispatcher(ctx.factory, wrong, clock).drain() == 0
    [row] = outbox(ctx)
    assert row.status == FAILED and row.last_error == "网关拒绝：HTTP 401"
    assert peer.log.bad_signatures == 1 and not peer.log.messages
    # An operator retries it once the key is fixed.
    with ctx.factory() as s, s.begin():
        assert retry_failed(s, row.id, clock.now())
    right = HttpSmsGateway(peer.url, KEY, "huimin_progress")
    assert SmsDispatcher(ctx.factory, right, clock).drain() == 1
    assert len(peer.log.messages) == 1


def test_the_gateway_down_for_good_ends_failed_after_the_last_retry(
    svc_client: TestClient, ctx: ServiceContext, clock: ManualClock, peer: SmsGatewayPeer
) -> None:
    peer.log.refuse_all = True
    dispatcher = SmsDispatcher(ctx.factory, HttpSmsGateway(peer.url, KEY, "huimin_progress"), clock)
    no = apply(svc_client)
    accept(ctx, clock, no)
    for wait in (0, *BACKOFF_S):
        clock.advance(wait)
        dispatcher.drain()
    [row] = outbox(ctx)
    assert row.status == FAILED and row.attempts == len(BACKOFF_S) + 1


def test_sm3_hmac_signatures_for_gm_hubs(
    svc_client: TestClient, ctx: ServiceContext, clock: ManualClock
) -> None:
    with SmsGatewayPeer(KEY, alg="sm3") as peer:
        gateway = HttpSmsGateway(peer.url, KEY, "huimin_progress", alg="sm3")
        no = apply(svc_client)
        accept(ctx, clock, no)
        assert SmsDispatcher(ctx.factory, gateway, clock).drain() == 1
        assert peer.log.bad_signatures == 0 and len(peer.log.messages) == 1

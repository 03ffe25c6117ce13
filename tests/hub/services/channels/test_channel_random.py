"""Randomized payments against each channel's emulator (WeChat Pay, Alipay), over
real HTTP on 127.0.0.1,
signed and verified both ways: every order ends final, nobody is charged twice,
every order that took money but did not end PAID gave it back, and the bills
reconcile.

The emulator misbehaves on a share of the runs: 5xx before acting, the
connection dropped after acting (a timeout's lost answer), forged answer
signatures; its notifications reach the hub's route duplicated, shuffled and
sometimes forged. Some runs restart the hub mid-payment (a new PaymentService
and channel over the same database: nothing in memory survives). Customers
pay fast, slowly (past the 30 s reverse and WeChat's own 45 s revoke), never,
in the instant before the cancel, or are declined.

``CHANNEL_PAYMENT_RUNS`` sets the size per channel (small here;
``python -m bench.payments_channels`` runs 1,000 against each).
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from hub.services.clock import ManualClock, local_date
from hub.services.context import ServiceContext
from hub.services.errors import Conflict
from hub.services.models import DemoMedicalRow, DemoPersonRow
from hub.services.payments import notify_api
from hub.services.payments.alerts import AlertingChannel
from hub.services.payments.alipay import load_channel as load_alipay_channel
from hub.services.payments.models import PaymentOrderRow
from hub.services.payments.provider import Method, NotifyingChannel
from hub.services.payments.service import OrderRequest, PaymentService
from hub.services.payments.views import FINAL_STATUSES
from hub.services.payments.wechat import load_channel
from tests.hub.services.test_svc_payments_random import make_id
from tools.paypeers.common import Customer, Faults, Notification

RUNS = int(os.environ.get("CHANNEL_PAYMENT_RUNS", "50"))
CODES = {"wechat": "134567890123456789", "alipay": "281234567890123456"}
DECLINES = {"wechat": "NOT_ENOUGH", "alipay": "ACQ.BUYER_BALANCE_NOT_ENOUGH"}
# What each channel's rules make of the scenarios: Alipay's cancel closes or
# refunds in one call (REVOKED), where WeChat Pay refunds a paid QR explicitly.
OUTCOMES = {
    "wechat": {"PAID", "REVOKED", "CLOSED", "REFUNDED", "FAILED"},
    "alipay": {"PAID", "REVOKED", "CLOSED", "FAILED"},
}


@dataclass(frozen=True)
class Scenario:
    name: str
    method: Method
    customer: Customer
    cancel_after_s: float | None
    flaky: bool
    restart_at_poll: int | None


def scenario(rng: random.Random, channel: str) -> Scenario:
    method: Method = rng.choice(["native", "micropay"])
    name = rng.choice(
        ["success", "slow", "timeout", "cancel", "paid_after_cancel", "decline", "instant"]
    )
    pay_after: float | None = {
        "success": rng.uniform(1, 10),
        "slow": rng.uniform(20, 70),
        "timeout": None,
        "cancel": rng.choice([None, rng.uniform(5, 60)]),
        "paid_after_cancel": None,
        "decline": None,
        "instant": 0.0,
    }[name]
    customer = Customer(
        pay_after_s=pay_after,
        decline=DECLINES[channel] if name == "decline" and method == "micropay" else None,
        pay_on_cancel=name == "paid_after_cancel",
    )
    cancel = rng.uniform(2, 30) if name in ("cancel", "paid_after_cancel") else None
    restart = rng.choice([None, None, None, rng.randrange(0, 6)])
    return Scenario(name, method, customer, cancel, rng.random() < 0.3, restart)


@pytest.fixture
def svc_db_url() -> str:
    return "sqlite:///:memory:"


@pytest.fixture(params=["wechat", "alipay"])
def channel(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def setup(channel: str, request: pytest.FixtureRequest) -> tuple[FastAPI, ServiceContext, Any]:
    """The app, its context and the emulator of ``channel``."""
    if channel == "wechat":
        app = request.getfixturevalue("wx_app")
        return app, request.getfixturevalue("wx_ctx"), request.getfixturevalue("emulator")
    app = request.getfixturevalue("ali_app")
    return app, request.getfixturevalue("ali_ctx"), request.getfixturevalue("alipay_emulator")


@pytest.fixture
def people(setup: tuple[FastAPI, ServiceContext, Any]) -> list[str]:
    wx_ctx = setup[1]
    numbers = [make_id(n) for n in range(RUNS)]
    with wx_ctx.factory() as s, s.begin():
        for n, number in enumerate(numbers):
            ref = wx_ctx.ref(number)
            s.add(
                DemoPersonRow(
                    person_ref=ref,
                    id_number=number,
                    ss_card_number=f"T{n:08d}",
                    name="测试人",
                    sex="1",
                    birth=date(1980, 1, 1),
                    phone="13800000000",
                    bank_pan="6217000000000000000",
                    town="城关镇",
                    village="测试村",
                    pension_status="none",
                    elderly_allowance=False,
                )
            )
            s.flush()
            s.add(DemoMedicalRow(person_ref=ref, year=2027, premium_fen=40000, status="due"))
    return numbers


class Hub:
    """The hub's payment side, restartable: a restart builds a new channel (from the
    same key files) and a new service over the same database."""

    def __init__(self, app: FastAPI, ctx: ServiceContext, clock: ManualClock, channel: str) -> None:
        self.app, self.ctx, self.clock, self.channel = app, ctx, clock, channel
        self.svc = ctx.payments
        self.restarts = 0

    def restart(self) -> None:
        old = self.svc.provider
        assert isinstance(old, AlertingChannel)
        settings = self.app.state.settings
        if self.channel == "wechat":
            fresh: NotifyingChannel = load_channel(settings.wechat, self.clock)
        else:
            fresh = load_alipay_channel(settings.alipay)
        channel = AlertingChannel(fresh, old.alerts)
        self.svc = PaymentService(
            self.ctx.factory,
            channel,
            self.clock,
            self.ctx.catalogue,
            self.ctx.provider,
            self.ctx.secret,
        )
        self.restarts += 1

    def notify(self, note: Notification) -> int:
        headers = {k.lower(): v for k, v in note.headers.items()}
        ctx = SimpleNamespace(payments=self.svc)
        status, body, _ = notify_api.handle(ctx, self.channel, headers, note.body)  # type: ignore[arg-type]
        if self.channel == "alipay":  # Alipay reads the body
            return 200 if body == b"success" else 0
        return status


def follow(hub: Hub, emu: Any, rng: random.Random, sc: Scenario, no: str) -> str:
    """Poll as the terminal does (5 s), cancel when the person does, deliver the
    emulator's notifications as they come, restart once if the scenario says so;
    then the sweep finishes what the terminal left. The status reached."""
    status = ""
    elapsed = 0.0
    cancelled = False
    for poll in range(40):
        if status in FINAL_STATUSES:
            break
        if poll == sc.restart_at_poll:
            hub.restart()
        step = rng.uniform(4, 6)
        hub.clock.advance(step)
        elapsed += step
        emu.deliver_notifications(hub.notify)
        if sc.cancel_after_s is not None and elapsed >= sc.cancel_after_s and not cancelled:
            cancelled = True
            try:
                status = hub.svc.cancel(no).status
            except Conflict:  # paid before the person pressed cancel
                status = hub.svc.step(no).status
        else:
            status = hub.svc.step(no).status
    for _ in range(60):
        if status in FINAL_STATUSES:
            break
        hub.clock.advance(30)
        emu.deliver_notifications(hub.notify)
        hub.svc.sweep()
        status = hub.svc.step(no).status
    return status


def test_randomized_payments_against_the_emulator(
    channel: str,
    setup: tuple[FastAPI, ServiceContext, Any],
    svc_clock: ManualClock,
    people: list[str],
) -> None:
    wx_app, wx_ctx, emulator = setup
    rng = random.Random(20261203)
    hub = Hub(wx_app, wx_ctx, svc_clock, channel)
    flaky = Faults(
        error_rate=0.1,
        drop_rate=0.1,
        forge_rate=0.05,
        notify_duplicate_rate=0.3,
        notify_shuffle=True,
        notify_forge_rate=0.1,
    )
    started = time.monotonic()
    seen: dict[str, str] = {}
    for i in range(RUNS):
        sc = scenario(rng, channel)
        emulator.customer_for = lambda _k, _c, c=sc.customer: c
        emulator.faults = flaky if sc.flaky else Faults(notify_duplicate_rate=0.2)
        req = OrderRequest(
            idempotency_key=f"wx-run-{i:04d}",
            item="resident_medical_2027",
            payer_id_numbers=[people[i]],
            method=sc.method,
            auth_code=CODES[channel] if sc.method == "micropay" else None,
        )
        no = hub.svc.create_order(req)["order_no"]
        assert hub.svc.create_order(req)["order_no"] == no  # a retried request: a replay
        status = follow(hub, emulator, rng, sc, no)
        assert status in FINAL_STATUSES, (i, sc)
        seen[no] = status

    emulator.faults = Faults()
    emulator.deliver_notifications(hub.notify)  # anything still pending: no change
    with wx_ctx.factory() as s:
        orders = {o.order_no: o for o in s.scalars(select(PaymentOrderRow))}
    assert {no: o.status for no, o in orders.items()} == seen
    outcomes: dict[str, int] = {}
    for no, o in orders.items():
        outcomes[o.status] = outcomes.get(o.status, 0) + 1
        assert emulator.charges(no) <= 1, no  # never charged twice
        if o.status == "PAID":
            assert emulator.net_fen(no) == o.amount_fen, no
        else:  # took money but did not succeed: given back in full
            assert emulator.net_fen(no) == 0, (no, o.status)
            assert o.refunded_fen == emulator.charges(no) * o.amount_fen, no
    assert OUTCOMES[channel] <= set(outcomes), outcomes
    assert hub.restarts > 0 and emulator.requests_refused == 0
    # The bills (next day, from the emulator over HTTP) agree with the orders.
    svc_clock.advance(24 * 3600)
    day = local_date(min(o.created_at for o in orders.values()))
    while day < local_date(svc_clock.now()):
        assert hub.svc.reconcile(day) == [], day
        day += timedelta(days=1)
    print(f"\n{RUNS} runs against the {channel} emulator in {time.monotonic() - started:.1f} s:")
    print(f"  {outcomes}, {hub.restarts} restarts, {emulator.notifications_sent} notifications")

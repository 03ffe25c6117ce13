"""1,000 randomized payments against the sandbox: every order ends final, nobody
is charged twice, and every order that took money but did not end PAID gave it
back (specs/payments-and-privacy.md §Payments).

Runs at the service layer on a manual clock: minutes of protocol time per
order cost microseconds. A quarter of the runs have a flaky provider
(SYSTEMERROR before or after acting), some repeat the request with the same
idempotency key, some reuse the key with other parameters.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from hub.services.clock import ManualClock, local_date
from hub.services.context import ServiceContext
from hub.services.errors import Conflict
from hub.services.models import DemoMedicalRow, DemoPersonRow
from hub.services.payments.models import PaymentOrderRow
from hub.services.payments.provider import Method
from hub.services.payments.sandbox import Behaviour, SandboxPaymentProvider
from hub.services.payments.service import OrderRequest, PaymentService
from hub.services.payments.views import FINAL_STATUSES

RUNS = int(os.environ.get("SVC_PAYMENT_RUNS", "1000"))
WECHAT = "134567890123456789"
ALIPAY = "281234567890123456"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id(n: int) -> str:
    born = date(1950, 1, 1) + timedelta(days=n * 17)
    body = f"410225{born:%Y%m%d}{n % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


@dataclass(frozen=True)
class Scenario:
    name: str
    method: Method
    behaviour: Behaviour
    cancel_after_s: float | None  # the person presses cancel
    repeats: int  # extra identical requests (network retries)
    conflicting_reuse: bool  # the same key with other parameters


def scenario(rng: random.Random) -> Scenario:
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
    behaviour = Behaviour(
        pay_after_s=pay_after,
        decline="余额不足" if name == "decline" and method == "micropay" else None,
        error_rate=rng.choice([0.0, 0.0, 0.0, 0.3]),
        pay_on_cancel=name == "paid_after_cancel",
    )
    cancel = rng.uniform(2, 30) if name in ("cancel", "paid_after_cancel") else None
    return Scenario(name, method, behaviour, cancel, rng.choice([0, 0, 1, 2]), rng.random() < 0.1)


@pytest.fixture
def svc_db_url() -> str:
    # One in-memory database (one connection: the test runs on one thread): the
    # run measures the protocol, not the disk.
    return "sqlite:///:memory:"


@pytest.fixture
def many_people(svc_ctx: ServiceContext) -> list[str]:
    numbers = [make_id(n) for n in range(RUNS)]
    with svc_ctx.factory() as s, s.begin():
        for n, number in enumerate(numbers):
            ref = svc_ctx.ref(number)
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


def follow_order(
    svc: PaymentService,
    svc_clock: ManualClock,
    rng: random.Random,
    sc: Scenario,
    no: str,
    status: str,
) -> str:
    """Poll the order as the terminal does (cancelling when the person does), then let
    the background sweep finish what the terminal left; the status reached."""
    elapsed = 0.0
    cancelled = False
    for _ in range(40):  # the terminal polls every 3-5 s
        if status in FINAL_STATUSES:
            break
        step = rng.uniform(3, 5)
        svc_clock.advance(step)
        elapsed += step
        if sc.cancel_after_s is not None and elapsed >= sc.cancel_after_s and not cancelled:
            cancelled = True
            try:
                status = svc.cancel(no).status
            except Conflict:  # paid before the person pressed cancel
                status = svc.step(no).status
        else:
            status = svc.step(no).status  # what GET /orders/{no} does, minus the view
    for _ in range(40):  # the background sweep finishes what the terminal left
        if status in FINAL_STATUSES:
            break
        svc_clock.advance(30)
        svc.sweep()
        status = svc.step(no).status
    return status


def check_money(
    sandbox: SandboxPaymentProvider, orders: dict[str, PaymentOrderRow]
) -> dict[str, int]:
    """Nobody charged twice; what did not end PAID was given back in full. Returns how
    many orders ended in each status."""
    outcomes: dict[str, int] = {}
    for no, order in orders.items():
        outcomes[order.status] = outcomes.get(order.status, 0) + 1
        assert sandbox.charges(no) <= 1, no  # never charged twice
        if order.status == "PAID":
            assert sandbox.net_fen(no) == order.amount_fen, no
        else:  # took money but did not succeed: given back in full
            assert sandbox.net_fen(no) == 0, (no, order.status)
            assert order.refunded_fen == sandbox.charges(no) * order.amount_fen, no
    return outcomes


def test_thousand_randomized_payments(
    svc_ctx: ServiceContext,
    svc_clock: ManualClock,
    sandbox: SandboxPaymentProvider,
    many_people: list[str],
) -> None:
    rng = random.Random(20261122)
    svc = svc_ctx.payments
    started = time.monotonic()
    seen: dict[str, str] = {}
    for i in range(RUNS):
        sc = scenario(rng)
        sandbox.behaviour_for = lambda _m, _c, b=sc.behaviour: b
        req = OrderRequest(
            idempotency_key=f"run-{i:04d}",
            item="resident_medical_2027",
            payer_id_numbers=[many_people[i]],
            method=sc.method,
            auth_code=rng.choice([WECHAT, ALIPAY]) if sc.method == "micropay" else None,
        )
        first = svc.create_order(req)
        no = first["order_no"]
        for _ in range(sc.repeats):
            assert svc.create_order(req)["order_no"] == no
        if sc.conflicting_reuse:
            other = OrderRequest(**{**req.__dict__, "payer_id_numbers": [many_people[i - 1]]})
            with pytest.raises(Conflict):
                svc.create_order(other)
        status = follow_order(svc, svc_clock, rng, sc, no, first["status"])
        assert status in FINAL_STATUSES, (i, sc)
        seen[no] = status

    assert len(seen) == RUNS
    with svc_ctx.factory() as s:
        orders = {o.order_no: o for o in s.scalars(select(PaymentOrderRow))}
    assert set(orders) == set(seen)
    outcomes = check_money(sandbox, orders)
    # Every outcome the spec names actually happened.
    assert {"PAID", "REVOKED", "CLOSED", "REFUNDED", "FAILED"} <= set(outcomes), outcomes
    # The daily bills agree with the orders (对账).
    first_day = local_date(min(o.created_at for o in orders.values()))
    last_day = local_date(svc_clock.now())
    day = first_day
    while day <= last_day:
        assert svc.reconcile(day) == [], day
        day += timedelta(days=1)
    # Paid orders updated the insurance records; nothing else did.
    with svc_ctx.factory() as s:
        paid_refs = set(
            s.scalars(
                select(DemoMedicalRow.order_no).where(
                    DemoMedicalRow.year == 2027, DemoMedicalRow.order_no.is_not(None)
                )
            )
        )
    assert paid_refs == {no for no, o in orders.items() if o.status == "PAID"}
    print(f"\n{RUNS} runs in {time.monotonic() - started:.1f} s: {outcomes}")

"""Payments against the real hub (sandbox provider): the typed routes, one
order's journaled life, and start-up recovery."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.flows import Flows
from kiosk.flows.payment_order import PaymentOrder
from kiosk.flows.payment_recovery import NOT_CREATED, recover_unfinished
from kiosk.flows.payments import FINAL_STATUSES, PaymentNotStarted
from kiosk.hub_client import HubError
from kiosk.i18n import Translator
from tests.kiosk.flows.conftest import LIU_GUIYING, MA_WENHUA, ZHANG_XIULAN, person

ITEM = "resident_medical_2027"
GOOD_CODE = "134567890123456789"  # WeChat-shaped; the sandbox customer pays after 4 s
Journal = list[tuple[str, dict[str, Any]]]


def _order(
    flows: Flows, journal: Journal, method: str = "native", who: str = ZHANG_XIULAN
) -> PaymentOrder:
    return PaymentOrder(
        flows.payments,
        lambda kind, data: journal.append((kind, dict(data))),
        ITEM,
        1,
        method,
        identity=person(who),
    )


def test_a_quote_for_the_person_and_family(flows: Flows) -> None:
    quote = flows.payments.quote(person(ZHANG_XIULAN), [LIU_GUIYING])
    assert quote.item == ITEM and quote.year == 2027
    assert [p.payable for p in quote.persons] == [True, True]
    assert quote.total_fen == sum(p.amount_fen for p in quote.persons) > 0
    assert flows.payments.quote(person(MA_WENHUA), []).total_fen == 0  # nothing due


def test_a_qr_order_is_paid_and_every_step_journaled_first(flows: Flows) -> None:
    journal: Journal = []
    order = _order(flows, journal)
    work = order.begin_create([ZHANG_XIULAN], now=0.0)
    assert journal[-1][1]["step"] == "create"  # before anything was sent
    order.apply(work())
    assert order.status == "PAYING" and order.view is not None and order.view.qr_payload
    assert flows.payments.lookup(order.key).order_no == order.order_no
    order.begin_sandbox_pay()()
    assert order.poll_due(3.0) and not order.poll_due(2.0)
    order.apply(order.begin_query(3.0)())
    assert order.status == "PAID" and order.final
    assert order.view is not None and order.view.printable is not None
    steps = [data["step"] for _, data in journal]
    assert steps == ["create", "state", "sandbox_pay", "query", "state"]
    assert all(ZHANG_XIULAN not in str(data) for _, data in journal)  # no ID number journaled
    with pytest.raises(RuntimeError):
        order.begin_create([ZHANG_XIULAN], now=9.0)  # a retry is a new order with a new key


def test_no_payment_starts_while_the_hub_is_down(hub_down: Flows) -> None:
    journal: Journal = []
    work = _order(hub_down, journal).begin_create([ZHANG_XIULAN], now=0.0)
    with pytest.raises(PaymentNotStarted) as not_started:
        work()
    words = not_started.value.message_for(Translator("zh_CN"))
    assert words.startswith("暂时无法连接服务中心，为保证资金安全")


def test_recovery_ends_an_open_order_and_settles_one_never_created(flows: Flows) -> None:
    journal: Journal = []
    open_one = _order(
        flows, journal, "micropay", LIU_GUIYING
    )  # reversible at once, unlike a QR order
    open_one.apply(open_one.begin_create([LIU_GUIYING], now=0.0, auth_code=GOOD_CODE)())
    assert open_one.status == "PAYING" and open_one.order_no is not None
    lost = _order(flows, journal, who=LIU_GUIYING)
    lost.begin_create([LIU_GUIYING], now=0.0)  # journaled, never sent
    recovery: Journal = []
    results = recover_unfinished(
        flows.payments,
        journal,
        record=lambda kind, data: recovery.append((kind, data)),
        sleep=lambda _s: None,
    )
    by_key = {r.key: r for r in results}
    assert by_key[lost.key].final and by_key[lost.key].status == NOT_CREATED
    ended = by_key[open_one.key]
    assert ended.final and ended.status in FINAL_STATUSES
    assert flows.payments.order(open_one.order_no).status == ended.status  # the hub agrees
    assert GOOD_CODE not in str(journal + recovery)  # the payment code is never journaled
    assert recover_unfinished(flows.payments, journal + recovery, sleep=lambda _s: None) == []


def test_orders_the_hub_does_not_know(flows: Flows) -> None:
    with pytest.raises(HubError) as unknown:
        flows.payments.order("HMNOSUCHORDER")
    assert unknown.value.status == 404
    with pytest.raises(HubError) as never:
        flows.payments.lookup("pay-neverusedkeyneverused")
    assert never.value.status == 404

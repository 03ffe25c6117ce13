"""Start-up recovery (kiosk.flows.payment_recovery.recover_unfinished) and the order's
journal-before-side-effect rule, against the real hub and its sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.flows import Payments
from kiosk.flows.payment_order import PaymentOrder
from kiosk.flows.payment_recovery import NOT_CREATED, recover_unfinished
from kiosk.flows.payments import FINAL_STATUSES
from kiosk.flows.person import PersonSession
from kiosk.hub_client import HubClient, HubUnavailable
from kiosk.signing import TerminalKey
from tests.e2e.conftest import HubProcess, closed_port_url
from tests.kiosk.flows.conftest import person

ZHAO_LEI = "410225200102145018"
WANG_FANG = "410225198511203020"
ZHANG_XIULAN = "410225194103152422"
LIU_GUIYING = "410225194609304067"
GOOD_CODE = "134567890123456789"


def payments_for(url: str, token: str, key: TerminalKey | None = None) -> Payments:
    """The payment flow of a terminal with ``key`` (its orders are made in person sessions)."""
    client = HubClient(lambda: url, token=lambda: token, timeout_s=5.0)
    return Payments(client, PersonSession(client, lambda: key))


def created(flow: PaymentOrder, payer: str, code: str | None, journal: list[Any]) -> None:
    """Run a flow's create as the app would: journal first, then the work, then apply."""
    flow.identity = flow.identity or person(payer)  # the payer's card was read
    work = flow.begin_create([payer], now=0.0, auth_code=code)
    assert journal[-1][1]["step"] == "create"  # written before anything was sent
    flow.apply(work())


def test_unfinished_micropay_is_ended_and_finished_orders_left_alone(hub: HubProcess) -> None:
    payments = payments_for(hub.url, hub.token, hub.key)
    journal: list[tuple[str, dict[str, Any]]] = []

    def record(kind: str, data: dict[str, Any]) -> None:
        journal.append((kind, dict(data)))

    open_one = PaymentOrder(
        payments, record, item="resident_medical_2027", payer_count=1, method="micropay"
    )
    created(open_one, ZHAO_LEI, GOOD_CODE, journal)
    assert open_one.status == "PAYING" and open_one.order_no
    # A create journaled but never sent (the terminal died first): no number known.
    lost = PaymentOrder(
        payments, record, item="resident_medical_2027", payer_count=1, method="native"
    )
    lost.identity = person(WANG_FANG)
    lost.begin_create([WANG_FANG], now=0.0)
    # A finished one is not touched (the journal shows its final state).
    done_key = "pay-finishedorderkeyabcdefg"
    journal.append(
        ("payment", {"key": done_key, "order_no": "HMX", "step": "state", "status": "PAID"})
    )

    recovery: list[tuple[str, dict[str, Any]]] = []
    results = recover_unfinished(
        payments, journal, record=lambda k, d: recovery.append((k, d)), sleep=lambda s: None
    )
    by_key = {r.key: r for r in results}
    assert done_key not in by_key
    ended = by_key[open_one.key]
    assert ended.final and ended.status in FINAL_STATUSES
    assert payments.order(open_one.order_no).status == ended.status  # the hub agrees
    # The hub says it never made that order: nothing can be charged, so it is settled.
    assert by_key[lost.key].final and by_key[lost.key].status == NOT_CREATED
    assert by_key[lost.key].order_no is None
    steps = [d["step"] for _, d in recovery if d["key"] == open_one.key]
    assert steps[0] == "recover_query" and steps[-1] == "recover_done"
    # Recovery journals too, before each call, and a second run finds nothing open.
    again = recover_unfinished(payments, journal + recovery, sleep=lambda s: None)
    assert again == []


def test_create_whose_answer_was_lost_is_found_by_its_key_and_ended(hub: HubProcess) -> None:
    """The hub made the order (and the customer's code was charged) but the terminal
    never heard back: recovery finds it by idempotency key, reverses it, and the
    money goes back — it is not left for someone to notice."""
    payments = payments_for(hub.url, hub.token, hub.key)
    journal: list[tuple[str, dict[str, Any]]] = []
    flow = PaymentOrder(
        payments,
        lambda k, d: journal.append((k, dict(d))),
        item="resident_medical_2027",
        payer_count=1,
        method="micropay",
    )
    flow.identity = person(LIU_GUIYING)
    work = flow.begin_create([LIU_GUIYING], now=0.0, auth_code=GOOD_CODE)
    answer = work()  # reached the hub; the answer is dropped, as by a crash or cut cable
    assert answer.status == "PAYING" and flow.order_no is None
    assert all(d.get("order_no") is None for _, d in journal)

    recovery: list[tuple[str, dict[str, Any]]] = []
    results = recover_unfinished(
        payments, journal, record=lambda k, d: recovery.append((k, dict(d))), sleep=lambda s: None
    )
    assert len(results) == 1
    found = results[0]
    assert found.order_no == answer.order_no and found.final
    assert found.status in {"REVOKED", "CLOSED"}  # reversed (refunded if it was paid)
    assert payments.order(answer.order_no).status == found.status
    steps = [d["step"] for _, d in recovery]
    assert steps[:3] == ["recover_lookup", "recover_found", "recover_query"]
    assert "recover_cancel" in steps and steps[-1] == "recover_done"
    # The journal now knows the number; a second start finds nothing open.
    assert recover_unfinished(payments, journal + recovery, sleep=lambda s: None) == []
    # A retry with a fresh order is possible again: nothing is left open for her.
    quote = payments.quote(person(LIU_GUIYING), [])
    assert quote.persons[0].payable is True


def test_young_native_order_stays_cancelling_until_the_provider_allows(hub: HubProcess) -> None:
    """The provider refuses to close a QR order under 5 minutes old: recovery says so
    (final=False) instead of pretending; the cancel request makes the hub refund a
    payment that still arrives."""
    payments = payments_for(hub.url, hub.token, hub.key)
    journal: list[tuple[str, dict[str, Any]]] = []
    flow = PaymentOrder(
        payments,
        lambda k, d: journal.append((k, dict(d))),
        item="resident_medical_2027",
        payer_count=1,
        method="native",
    )
    created(flow, ZHANG_XIULAN, None, journal)
    assert flow.status == "PAYING" and flow.view is not None and flow.view.qr_payload
    results = recover_unfinished(payments, journal, attempts=1, sleep=lambda s: None)
    assert len(results) == 1 and not results[0].final
    assert results[0].status == "CANCELLING"


def test_recovery_with_the_hub_down_changes_nothing() -> None:
    payments = payments_for(closed_port_url(), "no-token")
    journal = [
        ("payment", {"key": "pay-k", "order_no": "HM1", "step": "state", "status": "PAYING"})
    ]
    with pytest.raises(HubUnavailable):
        recover_unfinished(payments, journal, sleep=lambda s: None)

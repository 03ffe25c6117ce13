"""One villager's visit end to end, and concurrent terminals, on SQLite and on a
real PostgreSQL (the county deployment): identify, take a number, apply, pay
for the family's medical insurance by QR, print a verified certificate."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hub.services.clock import ManualClock
from hub.services.payments.models import PaymentOrderRow
from hub.services.payments.sandbox import SandboxPaymentProvider
from tests.hub.services.conftest import (
    TERMINAL_TOKEN,
    S,
    as_terminal,
    build_services_app,
    id_of,
    open_session,
    session,
)


def test_a_visit_end_to_end(
    db_url: str, svc_clock: ManualClock, sandbox: SandboxPaymentProvider
) -> None:
    app = build_services_app(db_url, svc_clock, sandbox)
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {TERMINAL_TOKEN}"
        opened = open_session(c, "zhao_lei", card="sscard")  # his social-security card
        who, me_session = opened["person"], opened["person_session"]
        assert who["eligible"]["resident_pension_enrol"] is True
        ticket = c.post(f"{S}/tickets", json={"service_point": "lk-zwfw", "business_type": "A"})
        assert ticket.json()["number"] == "A001"
        me = id_of("zhao_lei")
        accepted = c.post(
            f"{S}/applications",
            json={
                "item_id": "rsi_resident_pension_enrol",
                "person_session": me_session,
                "form": {"phone": "18637812345", "grade_yuan": 500},
                "delivery": {"method": "post", "address": "河南省兰考县南彰镇南彰村6组20号"},
                "consent": True,
                "idempotency_key": "journey-apply-1",
            },
        )
        assert accepted.status_code == 201, accepted.text
        no = accepted.json()["acceptance_no"]
        progress = c.post(f"{S}/query/applications", json={"acceptance_no": no}).json()
        assert progress["records"][0]["status"] == "accepted"
        family = [me, id_of("wang_fang")]
        quote = c.post(
            f"{S}/payments/quote",
            json={"person_session": me_session, "family_id_numbers": family[1:]},
        )
        assert quote.json()["total_fen"] == 80000
        order = c.post(
            f"{S}/payments/orders",
            json={
                "idempotency_key": "journey-pay-1",
                "item": "resident_medical_2027",
                "person_session": me_session,
                "payer_id_numbers": family,
                "method": "native",
            },
        ).json()
        c.post(f"{S}/payments/sandbox/pay/{order['order_no']}")
        paid = c.get(f"{S}/payments/orders/{order['order_no']}").json()
        assert paid["status"] == "PAID" and sandbox.net_fen(order["order_no"]) == 80000
        cert = c.post(f"{S}/certificates/insurance", json={"person_session": me_session}).json()
        facts = {f["label"]: f["value"] for f in cert["facts"]}
        assert facts["城乡居民基本医疗保险"] == "参保，已缴至2027年度"
        assert c.get(f"/verify/{cert['code']}").status_code == 200
        rating = c.post(
            f"{S}/ratings",
            json={
                "service_id": "med_resident_pay",
                "level": 2,
                "reasons": ["process_simple"],
                "terminal_session_id": "s-1",
                "at": svc_clock.now().isoformat(),
            },
        )
        assert rating.status_code == 201


def test_concurrent_terminals(
    db_url: str, svc_clock: ManualClock, sandbox: SandboxPaymentProvider
) -> None:
    """Eight terminals at once: ticket numbers stay unique and gapless; one
    idempotency key sent by all of them makes exactly one order."""
    app = build_services_app(db_url, svc_clock, sandbox)
    barrier = threading.Barrier(8)
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {TERMINAL_TOKEN}"

        def take(n: int) -> str:
            barrier.wait(timeout=10)
            r = c.post(
                f"{S}/tickets",
                json={"service_point": "lk-zwfw", "business_type": "B"},
                headers=as_terminal(n + 1),
            )
            assert r.status_code == 201, r.text
            return str(r.json()["number"])

        with ThreadPoolExecutor(8) as pool:
            numbers = sorted(pool.map(take, range(8)))
        assert numbers == [f"B{i:03d}" for i in range(1, 9)]

        body = {
            "idempotency_key": "same-key-everywhere",
            "item": "resident_medical_2027",
            "person_session": session(c, "zhang_xiulan"),
            "payer_id_numbers": [id_of("zhang_xiulan")],
            "method": "native",
        }

        def pay(_: int) -> tuple[int, str]:
            barrier.wait(timeout=10)
            r = c.post(f"{S}/payments/orders", json=body)
            return r.status_code, r.json().get("order_no", r.text)

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(pay, range(8)))
        assert {code for code, _ in results} == {201}, results
        assert len({no for _, no in results}) == 1
    with app.state.sessionmaker() as s:
        assert s.scalar(select(func.count()).select_from(PaymentOrderRow)) == 1

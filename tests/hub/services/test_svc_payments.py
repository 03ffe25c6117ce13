"""Payment orders through the API with the sandbox provider and a manual clock."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from hub.services.clock import ManualClock
from hub.services.context import ServiceContext
from hub.services.payments.models import PaymentOrderRow
from hub.services.payments.sandbox import Behaviour, SandboxPaymentProvider
from tests.hub.services.conftest import TERMINAL_TOKEN, S, id_of, session

WECHAT_CODE = "134567890123456789"
P = f"{S}/payments"


def order(client: TestClient, key: str = "order-key-0001", **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "idempotency_key": key,
        "item": "resident_medical_2027",
        "person_session": session(client, "wang_fang"),
        "payer_id_numbers": [id_of("wang_fang")],
        "method": "native",
    }
    body.update(over)
    return body


def test_quote_for_a_family(svc_client: TestClient) -> None:
    r = svc_client.post(
        f"{P}/quote",
        json={
            "person_session": session(svc_client, "wang_fang"),
            "family_id_numbers": [id_of("zhang_xiulan"), id_of("li_jianguo")],
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(p["name_masked"], p["amount_fen"], p["payable"]) for p in body["persons"]] == [
        ("王*", 40000, True),
        ("张*兰", 40000, True),
        ("李*国", 0, False),  # paid 2027 already
    ]
    assert body["total_fen"] == 80000 and body["year"] == 2027
    r = svc_client.post(
        f"{P}/quote",
        json={
            "person_session": session(svc_client, "wang_fang"),
            "family_id_numbers": ["410225199001010012"],
        },
    )
    assert r.status_code == 404 and "4102**********0012" in r.json()["detail"]
    r = svc_client.post(
        f"{P}/quote", json={"person_session": session(svc_client, "wang_fang"), "item": "nope"}
    )
    assert r.status_code == 404


def test_native_qr_paid_by_the_phone(
    svc_client: TestClient, svc_ctx: ServiceContext, sandbox: SandboxPaymentProvider
) -> None:
    payers = [id_of("wang_fang"), id_of("zhang_xiulan")]
    r = svc_client.post(f"{P}/orders", json=order(svc_client, payer_id_numbers=payers))
    assert r.status_code == 201, r.text
    created = r.json()
    no = created["order_no"]
    assert created["status"] == "PAYING" and created["amount_fen"] == 80000
    assert created["qr_payload"] == f"huimin-sandbox://pay/{no}"
    assert created["printable"] is None and created["final"] is False
    paid = svc_client.post(f"{P}/sandbox/pay/{no}").json()
    assert paid == {"order_no": no, "trade_state": "SUCCESS"}
    body = svc_client.get(f"{P}/orders/{no}").json()
    assert body["status"] == "PAID" and body["final"] is True and body["qr_payload"] is None
    assert body["printable"]["title"] == "缴费凭证"
    assert sandbox.charges(no) == 1 and sandbox.net_fen(no) == 80000
    medical = svc_client.post(
        f"{S}/query/medical", json={"person_session": session(svc_client, "zhang_xiulan")}
    )
    assert medical.json()["records"][-1]["status"] == "paid"
    again = svc_client.post(f"{P}/orders", json=order(svc_client, "order-key-0002"))
    assert again.status_code == 409 and "已缴纳2027年度" in again.json()["detail"]
    assert svc_client.post(f"{P}/orders/{no}/cancel").status_code == 409
    assert svc_ctx.payments.reconcile(date(2026, 11, 22)) == []


def test_idempotency_key_replays_or_conflicts(
    svc_client: TestClient, sandbox: SandboxPaymentProvider
) -> None:
    first = svc_client.post(f"{P}/orders", json=order(svc_client))
    again = svc_client.post(f"{P}/orders", json=order(svc_client))
    assert again.status_code == 201 and again.json() == first.json()
    other = svc_client.post(
        f"{P}/orders", json=order(svc_client, method="micropay", auth_code=WECHAT_CODE)
    )
    assert other.status_code == 409
    busy = svc_client.post(f"{P}/orders", json=order(svc_client, "order-key-0003"))
    assert busy.status_code == 409 and "未完成的缴费订单" in busy.json()["detail"]


def test_micropay_user_paying_then_success(
    svc_client: TestClient, svc_clock: ManualClock, sandbox: SandboxPaymentProvider
) -> None:
    r = svc_client.post(
        f"{P}/orders", json=order(svc_client, method="micropay", auth_code=WECHAT_CODE)
    )
    body = r.json()
    assert body["status"] == "PAYING" and body["qr_payload"] is None
    svc_clock.advance(3)
    assert svc_client.get(f"{P}/orders/{body['order_no']}").json()["status"] == "PAYING"
    svc_clock.advance(3)
    assert svc_client.get(f"{P}/orders/{body['order_no']}").json()["status"] == "PAID"


def test_declined_and_invalid_codes_fail_without_charge(
    svc_client: TestClient, sandbox: SandboxPaymentProvider
) -> None:
    r = svc_client.post(
        f"{P}/orders", json=order(svc_client, method="micropay", auth_code="134567890123450000")
    )
    body = r.json()
    assert body["status"] == "FAILED" and "余额不足" in body["message"]
    assert sandbox.charges(body["order_no"]) == 0
    r = svc_client.post(
        f"{P}/orders",
        json=order(svc_client, "order-key-0009", method="micropay", auth_code="9999999999999999"),
    )
    assert r.json()["status"] == "FAILED" and "付款码无效" in r.json()["message"]
    assert "9999999999999999" not in r.text


def test_request_errors(svc_client: TestClient) -> None:
    assert (
        svc_client.post(f"{P}/orders", json=order(svc_client, method="micropay")).status_code == 400
    )
    r = svc_client.post(f"{P}/orders", json=order(svc_client, auth_code=WECHAT_CODE))
    assert r.status_code == 400
    assert svc_client.post(f"{P}/orders", json=order(svc_client, item="nope")).status_code == 404
    assert (
        svc_client.post(f"{P}/orders", json=order(svc_client, payer_id_numbers=[])).status_code
        == 422
    )
    r = svc_client.post(f"{P}/orders", json=order(svc_client, auth_code="12ab"))
    assert r.status_code == 422 and "12ab" not in r.text
    assert svc_client.get(f"{P}/orders/HM000").status_code == 404
    assert svc_client.post(f"{P}/orders/HM000/cancel").status_code == 404
    assert svc_client.post(f"{P}/sandbox/pay/HM000").status_code == 404
    assert svc_client.get(f"{P}/orders/bad-no!").status_code == 422


def test_cancel_native_waits_for_the_minimum_age_then_closes(
    svc_client: TestClient, svc_ctx: ServiceContext, svc_clock: ManualClock
) -> None:
    no = svc_client.post(f"{P}/orders", json=order(svc_client)).json()["order_no"]
    body = svc_client.post(f"{P}/orders/{no}/cancel").json()
    assert body["status"] == "CANCELLING" and body["qr_payload"] is None
    svc_clock.advance(301)
    svc_ctx.payments.sweep()
    assert svc_client.get(f"{P}/orders/{no}").json()["status"] == "CLOSED"
    # The QR is dead: a late scan charges nothing.
    assert svc_client.post(f"{P}/sandbox/pay/{no}").json()["trade_state"] == "CLOSED"


def test_paid_between_last_query_and_cancel_is_refunded(
    svc_client: TestClient, sandbox: SandboxPaymentProvider, svc_clock: ManualClock
) -> None:
    sandbox.behaviour_for = lambda method, code: Behaviour(pay_after_s=None, pay_on_cancel=True)
    r = svc_client.post(
        f"{P}/orders", json=order(svc_client, method="micropay", auth_code=WECHAT_CODE)
    )
    no = r.json()["order_no"]
    body = svc_client.post(f"{P}/orders/{no}/cancel").json()
    assert body["status"] == "REVOKED" and body["refunded_fen"] == 40000
    assert sandbox.charges(no) == 1 and sandbox.net_fen(no) == 0
    # Native: the close is refused for a paid order, so the hub refunds explicitly.
    svc_clock.advance(400)
    r = svc_client.post(f"{P}/orders", json=order(svc_client, "order-key-0005"))
    no = r.json()["order_no"]
    body = svc_client.post(f"{P}/orders/{no}/cancel").json()
    assert body["status"] == "REFUNDED" and body["refunded_fen"] == 40000
    assert sandbox.net_fen(no) == 0


def test_micropay_times_out_and_is_reversed(
    svc_client: TestClient,
    svc_ctx: ServiceContext,
    svc_clock: ManualClock,
    sandbox: SandboxPaymentProvider,
) -> None:
    sandbox.behaviour_for = lambda method, code: Behaviour(pay_after_s=None)
    no = svc_client.post(
        f"{P}/orders", json=order(svc_client, method="micropay", auth_code=WECHAT_CODE)
    ).json()["order_no"]
    for _ in range(8):  # queried every 5 s while the customer does nothing
        svc_clock.advance(5)
        assert svc_client.get(f"{P}/orders/{no}").json()["status"] == "PAYING"
    svc_clock.advance(5)  # 45 s: stop querying and reverse
    body = svc_client.get(f"{P}/orders/{no}").json()
    assert body["status"] == "REVOKED" and body["refunded_fen"] == 0
    assert sandbox.charges(no) == 0


def test_background_sweeper_finishes_abandoned_orders(
    svc_db_url: str, svc_clock: ManualClock, sandbox: SandboxPaymentProvider
) -> None:
    """A terminal that stops polling mid-payment: the lifespan's sweeper reverses it."""
    import time

    from tests.hub.services.conftest import build_services_app

    sandbox.behaviour_for = lambda method, code: Behaviour(pay_after_s=None)
    app = build_services_app(svc_db_url, svc_clock, sandbox, sweep_interval_s=0.02)
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {TERMINAL_TOKEN}"
        no = client.post(
            f"{P}/orders", json=order(client, method="micropay", auth_code=WECHAT_CODE)
        ).json()["order_no"]
        svc_clock.advance(60)  # nobody polls; the micropay window has passed
        ctx = app.state.services

        def stored_status() -> str:  # read only: never steps the order itself
            with ctx.factory() as s:
                return str(s.get_one(PaymentOrderRow, no).status)

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and stored_status() != "REVOKED":
            time.sleep(0.02)
        assert stored_status() == "REVOKED"
        assert app.state.payment_sweeper.sweeps >= 1
    assert app.state.payment_sweeper._thread is None  # stopped with the lifespan


def test_a_share_paid_elsewhere_meanwhile_is_refunded(
    svc_client: TestClient, svc_ctx: ServiceContext, sandbox: SandboxPaymentProvider
) -> None:
    payers = [id_of("wang_fang"), id_of("zhang_xiulan")]
    no = svc_client.post(f"{P}/orders", json=order(svc_client, payer_id_numbers=payers)).json()[
        "order_no"
    ]
    # Meanwhile 张秀兰's premium is paid at a tax-office counter.
    ref = svc_ctx.ref(id_of("zhang_xiulan"))
    assert svc_ctx.provider.record_medical_payment(ref, 2027, 40000, "COUNTER1", date(2026, 11, 22))
    svc_client.post(f"{P}/sandbox/pay/{no}")
    body = svc_client.get(f"{P}/orders/{no}").json()
    assert body["status"] == "PAID" and body["refunded_fen"] == 40000
    assert sandbox.net_fen(no) == 40000  # only 王芳's share kept
    assert svc_ctx.payments.reconcile(date(2026, 11, 22)) == []


def test_reconcile_flags_what_differs(
    svc_client: TestClient, svc_ctx: ServiceContext, sandbox: SandboxPaymentProvider
) -> None:
    no = svc_client.post(f"{P}/orders", json=order(svc_client)).json()["order_no"]
    svc_client.post(f"{P}/sandbox/pay/{no}")
    assert svc_client.get(f"{P}/orders/{no}").json()["status"] == "PAID"
    with svc_ctx.factory() as s, s.begin():
        s.get_one(PaymentOrderRow, no).amount_fen = 39000  # a local record gone wrong
    found = svc_ctx.payments.reconcile(date(2026, 11, 22))
    assert [(m.order_no, m.kind, m.local_fen, m.bill_fen) for m in found] == [
        (no, "pay", 39000, 40000)
    ]


def test_create_that_never_arrived_is_closed(
    svc_client: TestClient, svc_clock: ManualClock, sandbox: SandboxPaymentProvider
) -> None:
    sandbox.outage = True
    body = svc_client.post(
        f"{P}/orders", json=order(svc_client, method="micropay", auth_code=WECHAT_CODE)
    ).json()
    assert body["status"] == "UNKNOWN" and body["final"] is False  # never guessed
    no = body["order_no"]
    sandbox.outage = False
    svc_clock.advance(5)
    assert not sandbox.has_trade(no)
    assert svc_client.get(f"{P}/orders/{no}").json()["status"] == "CLOSED"
    assert sandbox.charges(no) == 0


def test_outage_then_paid_meanwhile_is_reversed_with_refund(
    svc_client: TestClient, svc_clock: ManualClock, sandbox: SandboxPaymentProvider
) -> None:
    sandbox.behaviour_for = lambda method, code: Behaviour(pay_after_s=30)
    no = svc_client.post(
        f"{P}/orders", json=order(svc_client, method="micropay", auth_code=WECHAT_CODE)
    ).json()["order_no"]
    sandbox.outage = True
    svc_clock.advance(20)
    assert svc_client.get(f"{P}/orders/{no}").json()["status"] == "UNKNOWN"
    svc_clock.advance(30)  # past 45 s: time to reverse, but the reverse fails too
    assert svc_client.get(f"{P}/orders/{no}").json()["status"] == "CANCELLING"
    sandbox.outage = False  # the customer had paid at 30 s
    body = svc_client.get(f"{P}/orders/{no}").json()
    assert body["status"] == "REVOKED" and body["refunded_fen"] == 40000
    assert sandbox.charges(no) == 1 and sandbox.net_fen(no) == 0

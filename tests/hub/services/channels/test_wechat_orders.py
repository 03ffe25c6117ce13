"""Orders through the hub's routes with WeChat Pay configured: the service follows
the channel's rules, and notifications reach the order through the hub's
notification route (signature first, idempotent, any order)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.services.clock import ManualClock
from hub.services.context import ServiceContext
from hub.services.payments.alerts import AlertingChannel, PaymentAlerts
from hub.services.payments.models import PaymentOrderRow
from hub.services.payments.reconciler import DailyReconciler
from tests.hub.services.channels.conftest import NOTIFY_PATH, post_to
from tests.hub.services.conftest import S, id_of, session
from tools.paypeers.wechat import Customer, WeChatPayEmulator

P = f"{S}/payments"
CODE = "134567890123456789"


def order(client: TestClient, key: str, **over: Any) -> dict[str, Any]:
    """An order body made inside a person session of wang_fang's (the card on the reader)."""
    body: dict[str, Any] = {
        "person_session": session(client, "wang_fang"),
        "idempotency_key": key,
        "item": "resident_medical_2027",
        "payer_id_numbers": [id_of("wang_fang")],
        "method": "native",
    }
    body.update(over)
    return body


def alerts_of(ctx: ServiceContext) -> list[tuple[str, str]]:
    provider = ctx.payments.provider
    assert isinstance(provider, AlertingChannel)
    return [(a.kind, a.subject) for a in provider.alerts.open_alerts()]


def test_native_paid_by_notification_then_duplicates_change_nothing(
    wx_client: TestClient, wx_ctx: ServiceContext, emulator: WeChatPayEmulator
) -> None:
    r = wx_client.post(f"{P}/orders", json=order(wx_client, "wx-key-0001"))
    assert r.status_code == 201, r.text
    no = r.json()["order_no"]
    assert r.json()["qr_payload"].startswith("weixin://wxpay/bizpayurl")
    emulator.pay(no)
    emulator.faults.notify_duplicate_rate = 1.0
    delivered = emulator.deliver_notifications(post_to(wx_client))
    assert [status for _, status in delivered] == [204, 204]  # as WeChat Pay expects
    with wx_ctx.factory() as s:
        row = s.get_one(PaymentOrderRow, no)
        assert row.status == "PAID"
    # Paid without one query: the notification did it.
    assert emulator.calls[f"GET /v3/pay/transactions/out-trade-no/{no}"] == 0
    assert wx_client.get(f"{P}/orders/{no}").json()["status"] == "PAID"
    assert emulator.charges(no) == 1 and emulator.net_fen(no) == 40000


def test_forged_notification_is_refused_alerted_and_not_acted_on(
    wx_client: TestClient, wx_ctx: ServiceContext, emulator: WeChatPayEmulator
) -> None:
    no = wx_client.post(f"{P}/orders", json=order(wx_client, "wx-key-0002")).json()["order_no"]
    forged = emulator.forged_notification(no, "http://127.0.0.1:9" + NOTIFY_PATH)
    r = wx_client.post(NOTIFY_PATH, content=forged.body, headers=forged.headers)
    assert r.status_code == 400 and r.json()["code"] == "FAIL"
    # Headers missing altogether: the same.
    assert wx_client.post(NOTIFY_PATH, content=forged.body).status_code == 400
    with wx_ctx.factory() as s:
        assert s.get_one(PaymentOrderRow, no).status == "PAYING"
    assert ("forged_signature", "notification") in alerts_of(wx_ctx)
    assert emulator.charges(no) == 0


def test_a_notification_for_another_channel_or_an_unknown_order(
    wx_client: TestClient, wx_ctx: ServiceContext, emulator: WeChatPayEmulator
) -> None:
    r = wx_client.post(f"{S}/payments/notify/alipay", content=b"{}")
    assert r.status_code == 404
    # A genuine notification for an order this hub does not have: acknowledged
    # (or WeChat Pay retries for a day) and alerted.
    no = wx_ctx.payments.provider.create("HM0000ORPHAN", 100, "native", "x").qr_payload
    assert no is not None
    emulator.pay("HM0000ORPHAN")
    assert [s for _, s in emulator.deliver_notifications(post_to(wx_client))] == [204]
    assert ("unknown_order", "HM0000ORPHAN") in alerts_of(wx_ctx)


def test_payment_after_cancel_is_refunded_whatever_the_notification_order(
    wx_client: TestClient,
    wx_ctx: ServiceContext,
    emulator: WeChatPayEmulator,
    svc_clock: ManualClock,
) -> None:
    emulator.customer_for = lambda _k, _c: Customer(pay_after_s=None, pay_on_cancel=True)
    no = wx_client.post(f"{P}/orders", json=order(wx_client, "wx-key-0003")).json()["order_no"]
    svc_clock.advance(301)  # the QR expired: the hub closes, the customer pays first
    assert wx_client.post(f"{P}/orders/{no}/cancel").json()["status"] == "REFUNDED"
    emulator.faults.notify_shuffle = True
    statuses = [s for _, s in emulator.deliver_notifications(post_to(wx_client))]
    assert statuses == [204, 204]  # the late TRANSACTION.SUCCESS and the REFUND.SUCCESS
    with wx_ctx.factory() as s:
        row = s.get_one(PaymentOrderRow, no)
        assert (row.status, row.refunded_fen) == ("REFUNDED", 40000)
    assert emulator.charges(no) == 1 and emulator.net_fen(no) == 0


def test_micropay_reversed_after_30_s_and_the_day_reconciles(
    wx_client: TestClient,
    wx_ctx: ServiceContext,
    emulator: WeChatPayEmulator,
    svc_clock: ManualClock,
) -> None:
    emulator.customer_for = lambda _k, _c: Customer(pay_after_s=None)
    r = wx_client.post(
        f"{P}/orders", json=order(wx_client, "wx-key-0004", method="micropay", auth_code=CODE)
    )
    no = r.json()["order_no"]
    assert r.json()["status"] == "PAYING"
    status = ""
    for _ in range(6):  # the terminal polls every 5 s
        svc_clock.advance(5)
        status = wx_client.get(f"{P}/orders/{no}").json()["status"]
    # At 30 s the hub reverses; WeChat refuses while USERPAYING; the sweep retries
    # until WeChat has revoked the order itself (45 s).
    assert status == "CANCELLING"
    svc_clock.advance(20)
    wx_ctx.payments.sweep()
    assert wx_client.get(f"{P}/orders/{no}").json()["status"] == "REVOKED"
    emulator.customer_for = lambda _k, _c: Customer(pay_after_s=2)
    paid = wx_client.post(
        f"{P}/orders",
        json=order(
            wx_client,
            "wx-key-0005",
            method="micropay",
            auth_code=CODE,
            payer_id_numbers=[id_of("zhang_xiulan")],
        ),
    ).json()["order_no"]
    svc_clock.advance(5)
    assert wx_client.get(f"{P}/orders/{paid}").json()["status"] == "PAID"
    # The next day from 10:30 the reconciler runs; the bill agrees.
    svc_clock.advance(24 * 3600 + 1800)
    alerts = PaymentAlerts(wx_ctx.factory, svc_clock)
    reconciler = DailyReconciler(wx_ctx.factory, wx_ctx.payments, alerts, svc_clock, "wechat")
    done = reconciler.run_due()
    # The last week, each day once; the bill of the day of the orders agrees with them.
    assert sorted(done) == [date(2026, 11, d) for d in range(16, 23)]
    assert all(findings == [] for findings in done.values())
    assert reconciler.run_due() == {}
    assert alerts.open_alerts() == []
    with wx_ctx.factory() as s:
        kept = list(s.scalars(select(PaymentOrderRow.status)))
    assert sorted(kept) == ["PAID", "REVOKED"]

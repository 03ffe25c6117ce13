"""The Alipay channel against its emulator: RSA2 both ways, trade.pay's result codes,
precreate's late-existing trades, cancel's close/refund/block, refunds, bills,
notifications through the hub's route."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from hub.services.clock import ManualClock
from hub.services.context import ServiceContext
from hub.services.payments.alerts import AlertingChannel
from hub.services.payments.alipay import AlipayChannel, AlipayClient, merchant_problems
from hub.services.payments.models import PaymentOrderRow
from hub.services.payments.provider import (
    ForgedMessage,
    ProviderRejected,
    ProviderUnavailable,
    TradeState,
)
from tests.hub.services.channels.conftest import ALIPAY_NOTIFY_PATH, post_to, write_alipay
from tests.hub.services.conftest import S, id_of, session
from tools.paypeers.alipay import AlipayEmulator
from tools.paypeers.common import Customer, Faults

CODE = "281234567890123456"
P = f"{S}/payments"


def channel_of(ctx: ServiceContext) -> AlipayChannel:
    provider = ctx.payments.provider
    assert isinstance(provider, AlertingChannel) and isinstance(provider.channel, AlipayChannel)
    return provider.channel


def test_trade_pay_result_codes(
    ali_ctx: ServiceContext, alipay_emulator: AlipayEmulator, svc_clock: ManualClock
) -> None:
    ch = channel_of(ali_ctx)
    emu = alipay_emulator
    emu.customer_for = lambda _k, _c: Customer(pay_after_s=0)
    assert ch.create("HA0001", 100, "micropay", "医保", CODE).state == TradeState.SUCCESS  # 10000
    emu.customer_for = lambda _k, _c: Customer(pay_after_s=8)
    assert ch.create("HA0002", 100, "micropay", "医保", CODE).state == TradeState.USERPAYING
    svc_clock.advance(9)
    assert ch.query("HA0002").state == TradeState.SUCCESS
    emu.customer_for = lambda _k, _c: Customer(decline="ACQ.BUYER_BALANCE_NOT_ENOUGH")
    with pytest.raises(ProviderRejected) as declined:  # 40004: definite, nothing taken
        ch.create("HA0003", 100, "micropay", "医保", CODE)
    assert declined.value.code == "ACQ.BUYER_BALANCE_NOT_ENOUGH"
    with pytest.raises(ProviderRejected) as bad_code:
        ch.create("HA0004", 100, "micropay", "医保", "134567890123456789")  # a WeChat code
    assert bad_code.value.code == "ACQ.PAYMENT_AUTH_CODE_INVALID"
    emu.faults = Faults(error_rate=1.0)
    with pytest.raises(ProviderUnavailable) as unknown:  # 20000: query before anything else
        ch.create("HA0005", 100, "micropay", "医保", CODE)
    assert unknown.value.code == "ACQ.SYSTEM_ERROR"
    emu.faults = Faults()
    assert emu.charges("HA0003") == 0 and emu.requests_refused == 0


def test_unpaid_bar_code_closed_by_alipay_after_3_minutes(
    ali_ctx: ServiceContext, alipay_emulator: AlipayEmulator, svc_clock: ManualClock
) -> None:
    ch = channel_of(ali_ctx)
    alipay_emulator.customer_for = lambda _k, _c: Customer(pay_after_s=None)
    ch.create("HA0010", 100, "micropay", "医保", CODE)
    svc_clock.advance(179)
    assert ch.query("HA0010").state == TradeState.USERPAYING
    svc_clock.advance(2)
    assert ch.query("HA0010").state == TradeState.CLOSED


def test_precreate_exists_once_scanned_and_cancel_blocks_it(
    ali_ctx: ServiceContext, alipay_emulator: AlipayEmulator, svc_clock: ManualClock
) -> None:
    ch = channel_of(ali_ctx)
    created = ch.create("HA0020", 100, "native", "医保")
    assert created.qr_payload is not None and created.qr_payload.startswith(
        "https://qr.alipay.com/"
    )
    assert alipay_emulator.trade_status("HA0020") is None  # nobody scanned yet
    assert ch.query("HA0020").state == TradeState.NOTPAY  # ACQ.TRADE_NOT_EXIST: unpaid so far
    assert ch.cancel("HA0020").state == TradeState.CLOSED
    assert alipay_emulator.pay("HA0020") == "TRADE_NOT_EXIST"  # the QR can no longer be paid
    # A paid QR cancelled: refunded in full by the cancel itself.
    ch.create("HA0021", 300, "native", "医保")
    alipay_emulator.pay("HA0021")
    revoked = ch.cancel("HA0021")
    assert revoked.state == TradeState.REVOKED and revoked.refunded_fen == 300
    assert ch.cancel("HA0021") == revoked  # idempotent
    assert alipay_emulator.net_fen("HA0021") == 0
    # A QR outlives nothing: past its 5 minutes it cannot be paid.
    ch.create("HA0022", 100, "native", "医保")
    svc_clock.advance(301)
    assert alipay_emulator.pay("HA0022") == "TRADE_NOT_EXIST"


def test_refund_idempotent_and_the_bill(
    ali_ctx: ServiceContext, alipay_emulator: AlipayEmulator, svc_clock: ManualClock
) -> None:
    ch = channel_of(ali_ctx)
    ch.create("HA0030", 12345, "native", "医保")
    alipay_emulator.pay("HA0030")
    ch.refund("HA0030", "HA0030R0", 45)
    ch.refund("HA0030", "HA0030R0", 45)
    assert alipay_emulator.net_fen("HA0030") == 12300
    with pytest.raises(ProviderRejected):
        ch.refund("HA0030", "HA0030R1", 99999)
    with pytest.raises(ProviderRejected):
        ch.daily_bill(date(2026, 11, 22))  # not out before the day is over
    svc_clock.advance(24 * 3600)
    assert [(r.order_no, r.kind, r.amount_fen) for r in ch.daily_bill(date(2026, 11, 22))] == [
        ("HA0030", "pay", 12345),
        ("HA0030", "refund", 45),
    ]
    assert ch.daily_bill(date(2026, 11, 21)) == []


def test_forged_answers_refused_and_alerted_a_foreign_key_refused_by_alipay(
    ali_ctx: ServiceContext, alipay_emulator: AlipayEmulator, svc_clock: ManualClock
) -> None:
    provider = ali_ctx.payments.provider
    assert isinstance(provider, AlertingChannel)
    provider.create("HA0040", 100, "native", "医保")
    alipay_emulator.faults = Faults(forge_rate=1.0)
    with pytest.raises(ForgedMessage):
        provider.query("HA0040")
    assert [(a.kind, a.subject) for a in provider.alerts.open_alerts()] == [
        ("forged_signature", "HA0040")
    ]
    alipay_emulator.faults = Faults()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    impostor = AlipayChannel(
        AlipayClient(
            app_id=alipay_emulator.application.app_id,
            app_private_key_pem=pem,
            alipay_public_key_pem=alipay_emulator.alipay_public_key_pem,
            gateway=alipay_emulator.gateway,
            notify_url="http://127.0.0.1:9/n",
        ),
        bill_hosts=["127.0.0.1"],
    )
    with pytest.raises(ProviderUnavailable) as refused:
        impostor.create("HA0041", 100, "native", "医保")
    assert refused.value.code == "40002"  # isv.invalid-signature
    assert alipay_emulator.requests_refused == 1
    # A bill URL on a host we were not told about is not fetched.
    client = provider.channel._client  # type: ignore[attr-defined]
    bad_host = AlipayChannel(client, bill_hosts=["dwbillcenter.alipay.com"])
    alipay_emulator.pay("HA0040")
    svc_clock.advance(24 * 3600)
    assert len(provider.daily_bill(date(2026, 11, 22))) == 1
    with pytest.raises(ForgedMessage) as elsewhere:
        bad_host.daily_bill(date(2026, 11, 22))
    assert elsewhere.value.code == "BILL_HOST"


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


def test_notifications_through_the_hub_route(
    ali_client: TestClient, ali_ctx: ServiceContext, alipay_emulator: AlipayEmulator
) -> None:
    no = ali_client.post(f"{P}/orders", json=order(ali_client, "ali-key-0001")).json()["order_no"]
    forged = alipay_emulator.forged_notification(no, "http://127.0.0.1:9" + ALIPAY_NOTIFY_PATH)
    r = ali_client.post(ALIPAY_NOTIFY_PATH, content=forged.body, headers=forged.headers)
    assert r.status_code == 200 and r.text == "failure"  # Alipay reads the body
    with ali_ctx.factory() as s:
        assert s.get_one(PaymentOrderRow, no).status == "PAYING"
    alipay_emulator.pay(no)
    alipay_emulator.faults = Faults(notify_duplicate_rate=1.0)
    sent = alipay_emulator.deliver_notifications(post_to(ali_client, ALIPAY_NOTIFY_PATH))
    assert [s for _, s in sent] == [200, 200]
    with ali_ctx.factory() as s:
        assert s.get_one(PaymentOrderRow, no).status == "PAID"
    assert alipay_emulator.charges(no) == 1


def test_alipay_key_files_checked(tmp_path: Path, alipay_emulator: AlipayEmulator) -> None:
    merchant = write_alipay(tmp_path / "a", alipay_emulator)
    assert merchant_problems(merchant) == []
    Path(merchant.app_private_key_file).chmod(0o604)
    problems = merchant_problems(merchant)
    assert problems == [
        f"hub.alipay.app_private_key_file: {merchant.app_private_key_file}: mode 0604 lets "
        "others read the secret (chmod 600, owned by the hub's user)"
    ]
    Path(merchant.app_private_key_file).chmod(0o600)
    Path(merchant.alipay_public_key_file).write_text("not a key", encoding="ascii")
    assert merchant_problems(merchant) == [
        "hub.alipay: app_private_key_file or alipay_public_key_file is not an RSA key (PEM)"
    ]

"""The WeChat Pay channel against the emulator: signatures both ways, the codepay
and native state machines with their timing rules, refunds and bills."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from hub.services.clock import ManualClock
from hub.services.context import ServiceContext
from hub.services.payments.alerts import AlertingChannel
from hub.services.payments.provider import (
    ForgedMessage,
    ProviderRejected,
    ProviderUnavailable,
    TradeNotFound,
    TradeState,
)
from hub.services.payments.wechat import WeChatPayChannel, WeChatPayClient
from tools.paypeers.wechat import Customer, WeChatPayEmulator

CODE = "134567890123456789"


def channel_of(ctx: ServiceContext) -> WeChatPayChannel:
    provider = ctx.payments.provider
    assert isinstance(provider, AlertingChannel) and isinstance(provider.channel, WeChatPayChannel)
    return provider.channel


def client_for(emu: WeChatPayEmulator, **over: object) -> WeChatPayClient:
    m = emu.merchant
    values: dict[str, object] = {
        "mchid": m.mchid,
        "appid": m.appid,
        "cert_serial_no": m.cert_serial_no,
        "private_key_pem": m.private_key_pem,
        "apiv3_key": m.apiv3_key,
        "gateway": emu.url,
        "notify_url": "http://127.0.0.1:9/notify",
        "platform_public_key_pem": emu.platform_public_key_pem,
        "platform_public_key_id": emu.public_key_id,
        "timeout_s": 5.0,
    }
    values.update(over)
    return WeChatPayClient(**values)  # type: ignore[arg-type]


def test_codepay_userpaying_then_success_polled_no_more_than_every_5_s(
    wx_ctx: ServiceContext, emulator: WeChatPayEmulator, svc_clock: ManualClock
) -> None:
    ch = channel_of(wx_ctx)
    emulator.customer_for = lambda _k, _c: Customer(pay_after_s=8)
    assert ch.create("HM0001", 100, "micropay", "医保", CODE).state == TradeState.USERPAYING
    svc_clock.advance(3)
    assert ch.query("HM0001").state == TradeState.USERPAYING
    svc_clock.advance(3)  # paid at 8 s: not yet
    assert ch.query("HM0001").state == TradeState.USERPAYING
    queries = emulator.calls["GET /v3/pay/transactions/out-trade-no/HM0001"]
    svc_clock.advance(1)  # 7 s: within 5 s of the last query: answered from it
    assert ch.query("HM0001").state == TradeState.USERPAYING
    assert emulator.calls["GET /v3/pay/transactions/out-trade-no/HM0001"] == queries
    svc_clock.advance(5)
    assert ch.query("HM0001").state == TradeState.SUCCESS
    assert emulator.charges("HM0001") == 1
    assert emulator.requests_refused == 0  # every request we sent was correctly signed


def test_reverse_rules_15_s_userpaying_and_the_45_s_auto_revoke(
    wx_ctx: ServiceContext, emulator: WeChatPayEmulator, svc_clock: ManualClock
) -> None:
    ch = channel_of(wx_ctx)
    emulator.customer_for = lambda _k, _c: Customer(pay_after_s=None)
    ch.create("HM0002", 100, "micropay", "医保", CODE)
    svc_clock.advance(10)
    with pytest.raises(ProviderRejected) as early:
        ch.cancel("HM0002")  # younger than 15 s
    assert early.value.code == "INVALID_REQUEST"
    svc_clock.advance(20)  # 30 s, still entering the password
    with pytest.raises(ProviderRejected) as paying:
        ch.cancel("HM0002")
    assert paying.value.code == "USERPAYING"
    svc_clock.advance(16)  # 46 s: WeChat Pay revoked it itself
    assert ch.query("HM0002") == ch.cancel("HM0002")
    assert ch.cancel("HM0002").state == TradeState.REVOKED
    assert emulator.net_fen("HM0002") == 0


def test_reverse_of_a_paid_codepay_gives_the_money_back(
    wx_ctx: ServiceContext, emulator: WeChatPayEmulator, svc_clock: ManualClock
) -> None:
    ch = channel_of(wx_ctx)
    emulator.customer_for = lambda _k, _c: Customer(pay_after_s=None, pay_on_cancel=True)
    ch.create("HM0003", 250, "micropay", "医保", CODE)
    svc_clock.advance(44)
    # The customer pays in the instant before the reverse lands: the reverse refunds.
    result = ch.cancel("HM0003")
    assert result.state == TradeState.REVOKED and result.refunded_fen == 250
    assert emulator.charges("HM0003") == 1 and emulator.net_fen("HM0003") == 0
    svc_clock.advance(8 * 24 * 3600)
    emulator.customer_for = lambda _k, _c: Customer(pay_after_s=0)
    ch.create("HM0004", 100, "micropay", "医保", CODE)
    svc_clock.advance(8 * 24 * 3600)
    with pytest.raises(ProviderRejected):
        ch.cancel("HM0004")  # over 7 days: only a refund can give it back
    ch.refund("HM0004", "HM0004R0", 100)
    assert emulator.net_fen("HM0004") == 0


def test_declines_and_bad_codes_are_definite(
    wx_ctx: ServiceContext, emulator: WeChatPayEmulator
) -> None:
    ch = channel_of(wx_ctx)
    with pytest.raises(ProviderRejected) as declined:
        ch.create("HM0005", 100, "micropay", "医保", "134567890123450000")
    assert declined.value.code == "NOT_ENOUGH" and "余额不足" in declined.value.message
    with pytest.raises(ProviderRejected):
        ch.create("HM0006", 100, "micropay", "医保", "281234567890123456")  # not a WeChat code
    with pytest.raises(TradeNotFound):
        ch.query("HM9999")
    assert emulator.charges("HM0005") == 0


def test_native_close_and_refund(
    wx_ctx: ServiceContext, emulator: WeChatPayEmulator, svc_clock: ManualClock
) -> None:
    ch = channel_of(wx_ctx)
    created = ch.create("HM0007", 100, "native", "医保")
    assert created.state == TradeState.NOTPAY
    assert created.qr_payload is not None and created.qr_payload.startswith("weixin://wxpay/")
    with pytest.raises(ProviderRejected):
        ch.cancel("HM0007")  # younger than 5 minutes
    svc_clock.advance(301)
    assert ch.cancel("HM0007").state == TradeState.CLOSED
    ch.create("HM0008", 100, "native", "医保")
    emulator.pay("HM0008")
    assert ch.cancel("HM0008").state == TradeState.SUCCESS  # paid: the caller refunds
    ch.refund("HM0008", "HM0008R0", 100)
    ch.refund("HM0008", "HM0008R0", 100)  # the same refund number: once
    assert emulator.net_fen("HM0008") == 0


def test_bill_download_checked_by_hash_and_parsed(
    wx_ctx: ServiceContext, emulator: WeChatPayEmulator, svc_clock: ManualClock
) -> None:
    ch = channel_of(wx_ctx)
    ch.create("HM0009", 12345, "native", "医保")
    emulator.pay("HM0009")
    ch.refund("HM0009", "HM0009R0", 45)
    with pytest.raises(ProviderRejected):
        ch.daily_bill(date(2026, 11, 22))  # today's bill is not out yet
    svc_clock.advance(24 * 3600)
    rows = ch.daily_bill(date(2026, 11, 22))
    assert [(r.order_no, r.kind, r.amount_fen) for r in rows] == [
        ("HM0009", "pay", 12345),
        ("HM0009", "refund", 45),
    ]
    assert ch.daily_bill(date(2026, 11, 21)) == []  # NO_STATEMENT_EXIST


def test_forged_and_stale_answers_are_refused_and_alerted(
    wx_ctx: ServiceContext, emulator: WeChatPayEmulator
) -> None:
    provider = wx_ctx.payments.provider
    assert isinstance(provider, AlertingChannel)
    provider.create("HM0010", 100, "native", "医保")
    emulator.faults.forge_rate = 1.0
    with pytest.raises(ForgedMessage) as forged:
        provider.query("HM0010")
    assert forged.value.code == "BAD_SIGNATURE"
    assert isinstance(forged.value, ProviderUnavailable)  # the outcome stays unknown
    alerts = provider.alerts.open_alerts()
    assert [(a.kind, a.subject) for a in alerts] == [("forged_signature", "HM0010")]
    emulator.faults.forge_rate = 0.0
    # Our clock 10 minutes ahead: a genuine answer looks replayed.
    late = WeChatPayChannel(client_for(emulator, wall_clock=lambda: 9e9), ManualClock())
    with pytest.raises(ForgedMessage) as stale:
        late.query("HM0010")
    assert stale.value.code == "STALE_SIGNATURE"


def test_a_request_signed_with_another_key_is_refused_by_the_emulator(
    emulator: WeChatPayEmulator,
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    impostor = WeChatPayChannel(client_for(emulator, private_key_pem=pem), ManualClock())
    with pytest.raises(ProviderUnavailable) as refused:
        impostor.create("HM0011", 100, "native", "医保")
    assert refused.value.code == "SIGN_ERROR"
    assert emulator.requests_refused == 1 and emulator.trade_state("HM0011") is None


def test_platform_certificates_and_their_rotation(
    emulator: WeChatPayEmulator, tmp_path: Path
) -> None:
    """A merchant on platform certificates (平台证书): answers are verified with the
    certificate Wechatpay-Serial names; when WeChat Pay rotates to a new one, the
    SDK downloads it (GET /v3/certificates, decrypted with the APIv3 key) and keeps
    it in the directory."""
    emulator.serial_mode = "certificate"
    certs = tmp_path / "certs"
    certs.mkdir()
    first = emulator.platform_certificate_pem
    (certs / "first.pem").write_text(first, encoding="ascii")
    clock = ManualClock()
    ch = WeChatPayChannel(
        client_for(
            emulator,
            platform_public_key_pem=None,
            platform_public_key_id=None,
            platform_cert_dir=str(certs),
        ),
        clock,
    )
    assert ch.create("HM0020", 100, "native", "医保").state == TradeState.NOTPAY
    assert emulator.calls["GET /v3/certificates"] == 0  # the one on disk sufficed
    serial = emulator.rotate_certificate()
    assert ch.query("HM0020").state == TradeState.NOTPAY
    assert emulator.calls["GET /v3/certificates"] == 1
    assert (certs / f"{serial}.pem").is_file()  # kept for the next start
    emulator.faults.forge_rate = 1.0
    clock.advance(6)  # past the 5 s poll interval: a real query
    with pytest.raises(ForgedMessage):
        ch.query("HM0020")


def test_a_stalled_answer_is_an_unknown_outcome(
    wx_ctx: ServiceContext, emulator: WeChatPayEmulator, svc_clock: ManualClock
) -> None:
    """WeChat acted but the answer came too late: the order is UNKNOWN, then queried."""
    impatient = WeChatPayChannel(client_for(emulator, timeout_s=0.5), svc_clock)
    emulator.customer_for = lambda _k, _c: Customer(pay_after_s=0)
    emulator.faults.stall_s = 1.0
    with pytest.raises(ProviderUnavailable) as late:
        impatient.create("HM0021", 100, "micropay", "医保", CODE)
    assert late.value.code == "NETWORK"
    emulator.faults.stall_s = 0.0
    assert emulator.charges("HM0021") == 1  # it did happen
    assert impatient.query("HM0021").state == TradeState.SUCCESS

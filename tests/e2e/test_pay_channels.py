"""缴费 journeys with a real channel configured: the hub (``python -m hub``) talks
to the WeChat Pay or Alipay emulator on 127.0.0.1, signed both ways; the QR is
paid on the emulator's "phone" and the payment reaches the hub as the
channel's signed notification; payment codes are polled, declined, reversed.

The emulator's clock is the machine's plus an offset the test moves (its
timing rules — WeChat's 45 s revoke — happen without waiting); the hub runs
on real time, the terminal on its own test clock, as in tests/e2e/test_pay.py.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import HubProcess, Kiosk, MakeKiosk, _start_hub
from tests.e2e.test_pay import (
    WANG_FANG_ID,
    assert_journal_clean,
    insert_liu,
    poll_until,
    start_medical,
    wait_quote,
)
from tests.hub.services.channels.conftest import write_alipay, write_merchant
from tools.paypeers.alipay import AlipayEmulator
from tools.paypeers.common import Customer
from tools.paypeers.wechat import WeChatPayEmulator

CODES = {"wechat": "134567890123456789", "alipay": "281234567890123456"}
DECLINED = {"wechat": "134567890123450000", "alipay": "281234567890120000"}


class OffsetClock:
    """Real time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += timedelta(seconds=seconds)


@dataclass
class Channel:
    name: str
    hub: HubProcess
    emulator: Any  # WeChatPayEmulator | AlipayEmulator
    clock: OffsetClock


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _table(name: str, values: dict[str, Any]) -> str:
    lines = [f"[hub.{name}]"]
    for key, value in values.items():
        if isinstance(value, str):
            lines.append(f'{key} = "{value}"')
        elif isinstance(value, list):
            lines.append(f"{key} = [" + ", ".join(f'"{v}"' for v in value) + "]")
        elif value is not None:
            lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module", params=["wechat", "alipay"])
def channel(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Channel]:
    name = str(request.param)
    tmp: Path = tmp_path_factory.mktemp(f"hub-{name}")
    clock = OffsetClock()
    port = _free_port()
    notify = f"http://127.0.0.1:{port}/api/v1/services/payments/notify/{name}"
    emulator: Any
    if name == "wechat":
        emulator = WeChatPayEmulator(clock.now).start()
        merchant = write_merchant(tmp / "keys", emulator, notify_url=notify)
    else:
        emulator = AlipayEmulator(clock.now).start()
        merchant = write_alipay(tmp / "keys", emulator, notify_url=notify)
    config = tmp / "hub.toml"
    config.write_text(
        f'[hub]\npayment_provider = "{name}"\ndata_key_file = "{tmp / "data.key"}"\n'
        + _table(name, merchant.model_dump()),
        encoding="utf-8",
    )
    hub = _start_hub(tmp, ["--config", str(config), "--port", str(port)])
    try:
        yield Channel(name, hub, emulator, clock)
    finally:
        hub.proc.terminate()
        try:
            hub.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            hub.proc.kill()
        emulator.stop()


@pytest.fixture(scope="module")
def hub(channel: Channel) -> HubProcess:
    """The terminal's hub (tests/e2e/conftest.py's make_kiosk uses it)."""
    return channel.hub


def order_no_of(k: Kiosk) -> str:
    flow = k.screen.flow
    assert flow is not None and flow.order_no is not None
    return str(flow.order_no)


def test_qr_paid_on_the_phone_arrives_as_a_signed_notification(
    make_kiosk: MakeKiosk, channel: Channel
) -> None:
    k = make_kiosk()
    start_medical(k, "keypad")
    k.place_card("wang_fang")
    wait_quote(k)
    k.choose("next")
    k.choose("pay_qr")
    k.wait_for(
        lambda: k.screen.flow is not None and k.screen.flow.status == "PAYING", what="QR order"
    )
    payload = k.screen.flow.view.qr_payload
    assert payload.startswith(("weixin://wxpay/", "https://qr.alipay.com/"))
    no = order_no_of(k)
    channel.emulator.pay(no)
    delivered = channel.emulator.deliver_notifications()  # a real POST to the hub
    assert delivered and all(status in (200, 204) for _, status in delivered)
    assert channel.emulator.pending_notifications() == 0  # the hub accepted each
    poll_until(k, "pay_done")
    printed = "\n".join(k.receipts(1)[-1].text_lines)
    assert "缴费凭证" in printed and WANG_FANG_ID not in printed
    assert channel.emulator.charges(no) == 1
    assert_journal_clean(k)


def test_payment_code_polled_until_paid(make_kiosk: MakeKiosk, channel: Channel) -> None:
    channel.emulator.customer_for = lambda _k, _c: Customer(pay_after_s=3)
    k = make_kiosk(elder=True)
    start_medical(k, "touch")
    k.place_card("zhang_xiulan")
    wait_quote(k)
    k.tap("next")
    k.tap("pay_code")
    k.scan(CODES[channel.name])
    k.wait_for(
        lambda: k.screen.flow is not None and k.screen.flow.status == "PAYING",
        what="waiting for the password",
    )
    no = order_no_of(k)
    poll_until(k, "pay_done")
    assert "400.00元" in "\n".join(k.receipts(1)[-1].text_lines)
    assert channel.emulator.charges(no) == 1
    assert_journal_clean(k)


def test_declined_then_unpaid_code_reversed(make_kiosk: MakeKiosk, channel: Channel) -> None:
    emulator = channel.emulator
    decline = "NOT_ENOUGH" if channel.name == "wechat" else "ACQ.BUYER_BALANCE_NOT_ENOUGH"
    emulator.customer_for = lambda _k, _c: Customer(decline=decline)
    k = make_kiosk()
    start_medical(k, "keypad")
    insert_liu(k)
    wait_quote(k)
    k.choose("next")
    k.choose("pay_code")
    k.scan(DECLINED[channel.name])
    k.wait_for(lambda: bool(k.screen.outcome), what="decline")
    assert "余额不足" in k.screen.notice.message
    emulator.customer_for = lambda _k, _c: Customer(pay_after_s=None)
    k.choose("retry")
    k.scan(CODES[channel.name])
    k.wait_for(
        lambda: k.screen.flow is not None and k.screen.flow.status == "PAYING",
        what="waiting for the password",
    )
    no = order_no_of(k)
    # The customer never confirms: past WeChat's own 45 s revoke (the emulator's
    # clock), and past the terminal's limit (its clock): the order is undone.
    channel.clock.advance(46)
    k.advance(46)
    k.wait_for(lambda: k.screen.flow.final, what="reversal", timeout=30)
    assert k.screen.flow.status in ("REVOKED", "CLOSED")
    assert emulator.charges(no) == 0 and emulator.net_fen(no) == 0
    assert_journal_clean(k)

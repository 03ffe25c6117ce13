"""缴费 journeys against the real hub and its sandbox payment provider.

QR on screen paid by the demo's simulated phone; a payment code scanned
over the simulated scanner (micropay: USERPAYING, queried every 3 s until
SUCCESS); a declined code; paper out told before paying; the hub down
refused plainly before any order exists; a code not paid within the
limit reversed. Every step is journaled, and never with an ID number.
"""

from __future__ import annotations

import subprocess
import tempfile
import time

import pygame
import pytest

from drivers.sim.cards import SocialSecurityCardOS
from kiosk.devices import _citizens
from kiosk.journal import find_personal_data
from protocol.devices import PaperState
from tests.e2e.conftest import Kiosk, MakeKiosk, assert_few_options
from tests.tools import require_tool

WANG_FANG_ID = "410225198511203020"
GOOD_CODE = "134567890123456789"  # WeChat Pay-shaped; the sandbox customer pays after 4 s
DECLINED_CODE = "134567890123450000"  # the sandbox declines codes ending 0000


def start_medical(k: Kiosk, mode: str) -> None:
    k.choose("pay", mode)
    assert k.screen.name == "pay_menu"
    k.choose("medical", mode)


def wait_quote(k: Kiosk) -> None:
    k.wait_for(lambda: k.screen.name == "pay_people" and k.screen.data is not None)


def poll_until(k: Kiosk, screen: str, *, step_s: float = 3.0, rounds: int = 40) -> None:
    """Advance the terminal's clock poll by poll (real time runs on for the hub)."""
    for _ in range(rounds):
        if k.screen.name == screen:
            return
        k.advance(step_s)
        k.settle()
        k.wait_for(lambda: not k.app.tasks.busy, what="query answered")
        time.sleep(1.0)  # the hub's sandbox customer pays 4 s (real time) after the scan
    raise AssertionError(f"never reached {screen}; on {k.screen.name}")


def assert_journal_clean(k: Kiosk) -> None:
    for kind, data in k.app.recorder.records:  # type: ignore[attr-defined]
        assert find_personal_data(data) == [], (kind, data)


def test_qr_payment_for_family_by_keypad(make_kiosk: MakeKiosk) -> None:
    k = make_kiosk()
    start_medical(k, "keypad")
    k.place_card("zhao_lei")
    wait_quote(k)
    assert "400.00元" in k.shown_text()
    k.choose("add_family")
    k.digits("11010519491231002X")  # well-formed, but the hub knows nobody by it
    k.key(pygame.K_RETURN)
    wait_quote(k)
    k.wait_for(lambda: k.screen.notice is not None, what="refusal")
    assert "未查询到" in k.screen.notice.message and k.app.session.data["pay_family"] == []
    k.choose("add_family")
    assert k.screen.name == "entry"
    k.digits("410225198511203021")  # one digit wrong: GB 11643 check fails
    k.key(pygame.K_RETURN)
    assert "校验位" in k.screen.notice.message
    k.key(pygame.K_BACKSPACE)
    k.digits("0")
    k.key(pygame.K_RETURN)
    wait_quote(k)
    text = k.shown_text()
    assert "王*" in text and "800.00元" in text and WANG_FANG_ID not in text
    k.choose("next")
    assert k.screen.name == "pay_confirm"
    assert "800.00元" in k.said()  # the summary is read aloud before money moves
    k.choose("pay_qr")
    k.wait_for(
        lambda: (
            k.screen.name == "pay_qr"
            and k.screen.flow is not None
            and k.screen.flow.status == "PAYING"
        ),
        what="QR order",
    )
    screen = k.screen
    payload = screen.flow.view.qr_payload
    assert payload and "屏幕上显示了付款二维码" in k.shown_text()
    # The QR on screen decodes to the order's payload (zbarimg reads the frame).
    with tempfile.NamedTemporaryFile(suffix=".png") as png:
        k.app.draw()
        pygame.image.save(k.app.surface, png.name)
        out = subprocess.run(
            [require_tool("zbarimg"), "-q", "--raw", png.name],
            check=False,
            capture_output=True,
            text=True,
            timeout=20,
        )
    assert out.stdout.strip() == payload
    k.choose("demo_pay")
    poll_until(k, "pay_done")
    printed = "\n".join(k.receipts(1)[-1].text_lines)
    assert "缴费凭证" in printed and "800.00元" in printed and WANG_FANG_ID not in printed
    steps = [r["step"] for r in k.journal("payment")]
    assert steps[0] == "create" and "query" in steps and steps[-1] == "state"
    assert k.journal("payment")[-1]["status"] == "PAID"
    assert_journal_clean(k)
    k.key(pygame.K_RETURN)
    assert k.screen.name == "rate"


def test_payment_code_by_touch_in_elder_mode(make_kiosk: MakeKiosk) -> None:
    k = make_kiosk(elder=True)
    start_medical(k, "touch")
    k.place_card("zhang_xiulan")
    wait_quote(k)
    assert_few_options(k)
    k.tap("next")
    assert_few_options(k)
    k.tap("pay_code")
    assert k.screen.name == "pay_scan"
    k.scan(GOOD_CODE)
    k.wait_for(
        lambda: k.screen.flow is not None and k.screen.flow.status == "PAYING",
        what="USERPAYING",
    )
    poll_until(k, "pay_done")
    assert "400.00元" in "\n".join(k.receipts(1)[-1].text_lines)
    statuses = [r["status"] for r in k.journal("payment") if r["step"] == "state"]
    assert statuses[0] == "PAYING" and statuses[-1] == "PAID"
    assert_journal_clean(k)
    k.tap("done")
    assert k.screen.name == "rate"


def insert_liu(k: Kiosk) -> None:
    """刘桂英 (ID card expired) identifies with her social-security card."""
    liu = next(c for c in _citizens() if c["key"] == "liu_guiying")
    k.devices.sim_slot.insert(SocialSecurityCardOS(liu))


def test_paper_out_warned_then_declined_then_hub_down(make_kiosk: MakeKiosk) -> None:
    k = make_kiosk()
    k.devices.sim_printer.set_paper(PaperState.OUT)
    k.devices.refresh_printer_health()
    k.wait_for(lambda: not k.devices.available("printer")[0], what="paper out")
    start_medical(k, "keypad")
    insert_liu(k)
    wait_quote(k)
    k.choose("next")
    assert k.screen.name == "pay_confirm"
    # Told before paying, shown and read aloud, and may continue without a receipt.
    assert "缴费成功后将无法打印缴费凭证" in k.shown_text()
    assert "缴费成功后将无法打印缴费凭证" in k.said()
    assert "不打印，付款码支付" in k.shown_text()  # the choice itself says so
    k.choose("pay_code")
    k.scan(DECLINED_CODE)
    k.wait_for(lambda: bool(k.screen.outcome), what="decline")
    assert "余额不足" in k.screen.notice.message
    assert "余额不足" in k.said()
    # The hub goes away: the next attempt is refused before any order exists.
    k.set_hub_down(True)
    k.choose("retry")
    creates_before = len([r for r in k.journal("payment") if r["step"] == "create"])
    k.scan(GOOD_CODE)
    k.wait_for(lambda: bool(k.screen.outcome), what="refusal")
    message = k.screen.notice.message
    assert "暂时无法连接服务中心" in message and "没有被扣款" in message
    assert k.screen.flow is None
    creates = [r for r in k.journal("payment") if r["step"] == "create"]
    assert len(creates) == creates_before + 1  # journaled before trying, then nothing sent
    assert_journal_clean(k)


def test_unpaid_code_is_reversed_after_the_limit(make_kiosk: MakeKiosk) -> None:
    k = make_kiosk()
    start_medical(k, "keypad")
    insert_liu(k)
    wait_quote(k)
    k.choose("next")
    k.choose("pay_code")
    k.scan(GOOD_CODE)
    k.wait_for(
        lambda: k.screen.flow is not None and k.screen.flow.status == "PAYING",
        what="USERPAYING",
    )
    # The terminal's clock runs past the ~45 s limit before the customer confirms.
    k.advance(46)
    k.wait_for(lambda: k.screen.flow.final, what="reversal")
    flow = k.screen.flow
    assert flow.status == "REVOKED"
    steps = [r["step"] for r in k.journal("payment")]
    assert "cancel" in steps and steps.index("cancel") < len(steps) - 1
    assert "撤销" in k.screen.notice.message
    assert k.devices.sim_printer.jobs == []


@pytest.mark.parametrize("elder", [True])
def test_pay_confirm_lists_at_most_six_choices(make_kiosk: MakeKiosk, elder: bool) -> None:
    k = make_kiosk(elder=elder)
    start_medical(k, "keypad")
    k.place_card("li_jianguo")  # nothing due: 下一步 is disabled and says why
    wait_quote(k)
    opts = {o.name: o for _, o in k.screen.numbered_options()}
    assert not opts["next"].enabled and "没有需要缴纳" in opts["next"].reason
    assert_few_options(k)


def test_leaving_the_qr_screen_cancels_the_open_order(make_kiosk: MakeKiosk) -> None:
    """Runs last in this module: 刘桂英's order stays CANCELLING at the hub (the provider
    closes QR orders only after 5 minutes; a late payment would be refunded)."""
    k = make_kiosk()
    start_medical(k, "keypad")
    insert_liu(k)
    wait_quote(k)
    k.choose("next")
    k.choose("pay_qr")
    k.wait_for(
        lambda: k.screen.flow is not None and k.screen.flow.status == "PAYING", what="QR order"
    )
    flow = k.screen.flow
    k.key(pygame.K_ESCAPE)  # the person walks back
    assert k.screen.name == "pay_confirm"
    k.settle()
    steps = [r["step"] for r in k.journal("payment") if r["key"] == flow.key]
    assert steps[-2:] == ["cancel", "state"]
    hub_view = k.app.flows.payments.order(flow.order_no)
    assert hub_view.status == "CANCELLING" and not hub_view.final

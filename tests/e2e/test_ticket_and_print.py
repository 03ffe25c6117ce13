"""取号 and 打印 journeys, by keypad and by touch, in standard and 长辈 modes."""

from __future__ import annotations

import pygame
import pytest

from tests.e2e.conftest import MakeKiosk, assert_few_options


@pytest.mark.parametrize(("mode", "elder"), [("keypad", False), ("touch", True)])
def test_take_a_ticket(make_kiosk: MakeKiosk, mode: str, elder: bool) -> None:
    k = make_kiosk(elder=elder)
    k.choose("ticket", mode)
    k.wait_for(lambda: k.screen.name == "ticket" and k.screen.data is not None)
    assert_few_options(k)
    assert "综合业务" in k.shown_text()
    k.choose("type_A", mode)
    k.wait_screen("ticket_done")
    text = k.shown_text()
    assert "您的号码：A" in text and "前面还有" in text
    paper = k.receipts(1)[-1]
    printed = "\n".join(paper.text_lines)
    assert "排队号" in printed and "东坝头镇张庄村便民服务站" in printed
    k.choose("done", mode)
    assert k.screen.name == "rate"
    assert k.app.session.completed


@pytest.mark.parametrize(("mode", "elder"), [("keypad", True), ("touch", False)])
def test_print_insurance_certificate_verifiable(
    make_kiosk: MakeKiosk, mode: str, elder: bool
) -> None:
    k = make_kiosk(elder=elder)
    k.choose("print", mode)
    assert k.screen.name == "print_menu"
    assert_few_options(k)
    k.choose("certificate", mode)
    assert k.screen.name == "identify"
    k.place_card("zhang_xiulan")
    k.wait_for(lambda: k.screen.name == "certificate" and k.screen.data is not None)
    text = k.shown_text()
    assert "张*兰" in text and "410225194103152422" not in text
    code = k.screen.data.code
    assert f"验证码：{code}" in text
    k.choose("print", mode)
    paper = k.receipts(1)[-1]
    assert paper.qr_payloads and paper.qr_payloads[0].endswith(f"/verify/{code}")
    assert code in "\n".join(paper.text_lines)
    # Anyone holding the paper can check it at the hub, without a terminal credential.
    page = k.hub.get(f"/verify/{code}")
    assert page.status_code == 200 and "真实有效" in page.text and "张*兰" in page.text
    assert "410225194103152422" not in page.text
    assert k.hub.get("/verify/AAAAAAAAAAAAAAAA").status_code == 404
    # 补打: the hub kept it; listed once (not again as this session's print), marked 补打.
    k.key(pygame.K_HOME)
    k.choose("print", mode)
    k.choose("reprint", mode)  # the card is still known in this session: no second read
    k.wait_for(lambda: k.screen.name == "reprint" and k.screen.data is not None)
    assert_few_options(k)
    names = [o.name for _, o in k.screen.numbered_options()]
    assert not [n for n in names if n.startswith("kept_")]
    k.choose(names[0], mode)
    again = k.receipts(2)[-1]
    assert "补打" in "\n".join(again.text_lines) and again.qr_payloads == paper.qr_payloads
    k.choose("done", mode)
    assert k.screen.name == "rate"


def test_progress_of_all_my_applications(make_kiosk: MakeKiosk) -> None:
    k = make_kiosk(elder=True)
    k.choose("apply")
    k.wait_for(lambda: k.screen.name == "apply_menu" and k.screen.data is not None)
    k.choose_in_groups("topic_ZR31")
    k.choose_in_groups("item_oth_application_progress")
    k.wait_for(lambda: k.screen.name == "guide" and k.screen.data is not None)
    k.choose("start_query")
    k.choose("mine")
    k.place_card("wang_fang")
    k.wait_for(lambda: k.screen.name == "progress_result" and k.screen.data is not None)
    text = k.shown_text()
    assert "异地就医备案" in text and "门诊慢特病待遇认定" in text and "审核中" in text
    assert "王*" in text and "410225198511203020" not in text
    assert_few_options(k)
    k.choose("print")
    printed = "\n".join(k.receipts(1)[-1].text_lines)
    assert "办件进度" in printed and "异地就医备案" in printed
    k.key(pygame.K_RETURN)
    assert k.screen.name == "rate"


def test_hub_down_is_told_plainly_and_retry_works(make_kiosk: MakeKiosk) -> None:
    k = make_kiosk()
    k.set_hub_down(True)
    k.choose("ticket")
    k.wait_for(lambda: k.screen.failed, what="failure shown")
    assert "暂时无法连接服务中心" in k.screen.notice.message
    assert "暂时无法连接服务中心" in k.said()  # spoken, not only shown
    k.set_hub_down(False)
    k.key(pygame.K_RETURN)  # 重试
    k.wait_for(lambda: k.screen.data is not None, what="types after retry")
    assert "综合业务" in k.shown_text()

"""取号 and 打印 journeys, by keypad and by touch, in standard and 长辈 modes."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Kiosk, assert_few_options


@pytest.mark.parametrize(("mode", "elder"), [("keypad", False), ("touch", True)])
def test_take_a_ticket(make_kiosk, mode: str, elder: bool) -> None:
    k: Kiosk = make_kiosk(elder=elder)
    k.choose("ticket", mode)
    k.wait_for(lambda: k.app.screen.name == "ticket" and k.app.screen.data is not None)
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
    assert k.app.screen.name == "rate"
    assert k.app.session.completed

"""Voice mode carries a person who does not look at the screen through whole
journeys using the keypad only: everything needed to choose is heard, in order,
each option with its key number."""

from __future__ import annotations

import pygame

from tests.audit.conftest import said_in_order
from tools.headless import Harness


def _heard_screen(h: Harness) -> list[str]:
    """What the current screen says (title, instruction, rows, "X，请按N" per option)."""
    return h.app.screen.speech()


def test_first_journey_by_voice_and_keypad_only(h: Harness) -> None:
    expected: list[str] = []
    h.key(pygame.K_F3)  # voice guidance: starts the session on the home screen
    assert h.app.screen.name == "home"
    expected += _heard_screen(h)
    h.key(pygame.K_1)  # 查询
    assert h.app.screen.name == "query_menu"
    expected += ["查询", *_heard_screen(h)]
    assert "社保缴费记录，请按1" in expected
    h.key(pygame.K_1)  # 社保缴费记录
    assert h.app.screen.name == "identify"
    expected += ["社保缴费记录", *_heard_screen(h)]
    h.place_card()
    assert h.app.screen.name == "query_result"
    assert getattr(h.app.screen, "result", None) is not None
    expected += ["读取成功", *_heard_screen(h)]
    assert "打印，请按1" in expected and "完成，请按2" in expected
    h.key(pygame.K_1)  # 打印
    assert len(h.devices.printed) == 1
    expected += ["打印", "正在打印，请稍候……", "打印完成，请取走凭条"]
    h.key(pygame.K_2)  # 完成
    assert h.app.screen.name == "rate"
    expected += ["完成", *_heard_screen(h)]
    assert "非常满意，请按1" in expected
    h.key(pygame.K_1)
    assert h.app.screen.name == "thanks"
    expected += ["非常满意", *_heard_screen(h)]
    missing = said_in_order(h.speech.said, expected)
    assert not missing, f"not heard in order: {missing}"
    for title in ("请选择您要办理的业务", "请出示证件", "社保缴费记录", "请评价本次服务"):
        assert title in h.speech.said
    assert not any("410225194103152422" in s for s in h.speech.said)  # never the full ID


def test_payment_journey_by_voice_and_keypad_only(h: Harness) -> None:
    expected: list[str] = []
    h.key(pygame.K_F3)
    h.key(pygame.K_3)  # 缴费
    assert h.app.screen.name == "pay_menu"
    expected += ["缴费", *_heard_screen(h)]
    h.key(pygame.K_1)  # 城乡居民医保缴费 → card first
    h.place_card()
    assert h.app.screen.name == "pay_people"
    expected += _heard_screen(h)
    h.key(pygame.K_1)  # 下一步
    assert h.app.screen.name == "pay_confirm"
    expected += _heard_screen(h)
    assert any("合计金额" in s for s in expected)  # the amount is read before money moves
    h.key(pygame.K_1)  # 扫码支付
    assert h.app.screen.name == "pay_qr"
    expected += _heard_screen(h)
    h.key(pygame.K_1)  # demo: the phone pays
    for _ in range(5):
        if h.app.screen.name == "pay_done":
            break
        h.clock.advance(1)
        h.settle()
    assert h.app.screen.name == "pay_done"
    # The receipt prints by itself and the options change when it is done: the person
    # hears 打印完成 and presses * to hear the screen again, with the new options.
    h.key(pygame.K_ASTERISK)
    expected += ["打印完成，请取走凭条", *_heard_screen(h)]
    assert any("请按" in s for s in _heard_screen(h))
    missing = said_in_order(h.speech.said, expected)
    assert not missing, f"not heard in order: {missing}"

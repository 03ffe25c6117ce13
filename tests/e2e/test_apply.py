"""办事 journeys against the real hub: catalogue → guide → apply here.

城乡居民基本养老保险参保登记 (consent, phone on the keypad, 缴费档次, delivery,
read-aloud summary, 受理编号 slip), progress by that 受理编号, the PIPL
decline path, 高龄津贴 (age check, social-security card, masked account),
and the guide itself (all fields, paged, printable).
"""

from __future__ import annotations

import re

import pygame
import pytest

from drivers.sim.cards import SocialSecurityCardOS
from kiosk.devices import _citizens
from tests.e2e.conftest import Kiosk, MakeKiosk, assert_few_options

ZHAO_LEI_ID = "410225200102145018"  # 25, not in the resident pension scheme


def open_item(k: Kiosk, topic: str, item: str, mode: str) -> None:
    k.choose("apply", mode)
    k.wait_for(lambda: k.screen.name == "apply_menu" and k.screen.data is not None)
    assert_few_options(k)
    k.choose_in_groups(f"topic_{topic}", mode)
    assert k.screen.name == "catalog_items"
    assert_few_options(k)
    k.choose_in_groups(f"item_{item}", mode)
    k.wait_for(lambda: k.screen.name == "guide" and k.screen.data is not None)
    assert_few_options(k)


@pytest.mark.parametrize(("mode", "elder"), [("keypad", False), ("touch", True)])
def test_resident_pension_enrolment(make_kiosk: MakeKiosk, mode: str, elder: bool) -> None:
    k = make_kiosk(elder=elder)
    open_item(k, "ZR16", "rsi_resident_pension_enrol", mode)
    assert "可在本机申请" not in k.shown_text()  # the guide shows the item itself
    k.choose("start_apply", mode)
    assert k.screen.name == "identify"
    k.place_card("zhao_lei")
    k.wait_screen("consent")
    text = k.shown_text()
    assert "使用哪些信息" in text and "用来做什么" in text and "不同意" in text
    k.choose("agree", mode)
    assert k.screen.name == "apply_form"
    assert "4102**********5018" in k.shown_text() and ZHAO_LEI_ID not in k.shown_text()
    k.choose("phone", mode)
    enter_phone(k, mode)
    assert k.screen.name == "apply_form"
    assert "139****5678" in k.shown_text()
    k.choose("next", mode)
    assert k.screen.name == "apply_grade"
    assert_few_options(k)
    k.choose_in_groups("grade_300", mode)
    assert k.screen.name == "apply_delivery"
    k.choose("post", mode)
    assert k.screen.name == "apply_confirm"
    said = k.said()
    assert "每年300元" in said and "邮寄到身份证上的地址" in said  # read aloud
    if mode == "keypad":
        k.key(pygame.K_RETURN)
    else:
        k.tap("submit")
    if elder:
        # The same person already applied in the keypad run: the hub's refusal is
        # shown and spoken in its own words, nothing is printed.
        k.wait_for(lambda: k.screen.notice is not None and k.screen.notice.level == "error")
        assert "已在办理中" in k.screen.notice.message
        assert "已在办理中" in k.said()
        return
    k.wait_screen("apply_slip")
    number = slip_number(k)
    kinds = [r["key"] for r in k.journal("application_submit")]
    assert kinds and k.journal("consent")[0]["granted"] is True
    k.choose("done", mode)
    assert k.screen.name == "rate" and k.app.session.completed

    # 查询 → 办件进度 by the number on the slip, typed on the keypad (no card needed).
    k.key(pygame.K_HOME)
    open_item(k, "ZR31", "oth_application_progress", mode)
    k.choose("start_query", mode)
    k.choose("by_number", mode)
    assert k.screen.name == "entry"
    k.digits(number)
    k.key(pygame.K_RETURN)
    k.wait_for(lambda: k.screen.name == "progress_result" and k.screen.data is not None)
    text = k.shown_text()
    assert number in text and "已受理" in text and "城乡居民基本养老保险参保登记" in text


def enter_phone(k: Kiosk, mode: str) -> None:
    """The phone number on the entry screen: by keypad (a wrong one first, refused
    with the reason) or by touch."""
    assert k.screen.name == "entry"
    if mode == "keypad":
        k.digits("12345678901")
        k.key(pygame.K_RETURN)
        assert "第二位为3到9" in k.screen.notice.message  # refused, said why
        for _ in range(11):
            k.key(pygame.K_BACKSPACE)
        k.digits("13912345678")
        k.key(pygame.K_RETURN)
    else:
        for d in "13912345678":
            k.tap(f"digit_{d}")
        k.tap("confirm")


def slip_number(k: Kiosk) -> str:
    """The 受理编号 the slip screen shows, checked against the printed slip."""
    text = k.shown_text()
    match = re.search(r"受理编号：(\d{8}) (\d{6})", text)
    assert match, text
    number = match.group(1) + match.group(2)
    paper = k.receipts(1)[-1]
    printed = "\n".join(paper.text_lines)
    assert number in printed and "1个工作日" in printed
    assert ZHAO_LEI_ID not in printed and "4102" in printed
    return number


def test_declining_consent_ends_without_using_data(make_kiosk: MakeKiosk) -> None:
    k = make_kiosk()
    open_item(k, "ZR16", "rsi_resident_pension_enrol", "keypad")
    k.choose("start_apply")
    k.place_card("ma_wenhua")
    k.wait_screen("consent")
    k.choose("decline")
    assert k.screen.name == "message"
    assert "没有被使用" in k.shown_text()
    assert "draft" not in k.app.session.data
    assert k.journal("application_submit") == []
    assert k.journal("consent") == [{"item_id": "rsi_resident_pension_enrol", "granted": False}]


def test_elderly_allowance_with_social_security_card(make_kiosk: MakeKiosk) -> None:
    """刘桂英 is 80; her ID card has expired, so she uses her social-security card."""
    k = make_kiosk(elder=True)
    open_item(k, "ZR16", "rsi_elderly_allowance", "keypad")
    k.choose("start_apply")
    assert k.screen.name == "identify"
    liu = next(c for c in _citizens() if c["key"] == "liu_guiying")
    k.devices.sim_slot.insert(SocialSecurityCardOS(liu))
    k.wait_screen("consent")
    assert "银行账户" in k.shown_text()
    k.choose("agree")
    k.choose("phone")
    k.digits("13723459876")
    k.key(pygame.K_RETURN)
    k.choose("next")
    k.wait_for(lambda: k.screen.name == "apply_account" and k.screen.data is not None)
    text = k.shown_text()
    assert "622188*********3227" in text and "6221887766554433227" not in text
    k.choose("use_account")
    assert k.screen.name == "apply_delivery"
    opts = {o.name: o for _, o in k.screen.numbered_options()}
    assert not opts["post"].enabled  # the social-security card carries no address
    k.choose("counter")
    k.key(pygame.K_RETURN)
    k.wait_screen("apply_slip")
    printed = "\n".join(k.receipts(1)[-1].text_lines)
    assert "高龄津贴申请" in printed and "10个工作日" in printed


def test_elderly_allowance_refused_under_80(make_kiosk: MakeKiosk) -> None:
    k = make_kiosk()
    open_item(k, "ZR16", "rsi_elderly_allowance", "keypad")
    k.choose("start_apply")
    k.place_card("zhao_lei")
    k.wait_screen("message")
    text = k.shown_text()
    assert "年满80周岁" in text and "您今年25岁" in text
    assert k.journal("consent") == []  # refused before any data was used


def test_guide_is_complete_paged_and_printable(make_kiosk: MakeKiosk) -> None:
    k = make_kiosk(elder=True)
    open_item(k, "ZR28", "med_chronic_disease", "keypad")
    screen = k.screen
    text = k.shown_text()
    for field in (
        "受理单位",
        "承诺时限",
        "申请条件",
        "申请材料",
        "办理流程",
        "办理地点",
        "办理依据",
    ):
        assert field in text, field
    assert "仅提供" not in text
    assert screen.page_count > 1  # large text: the guide is paged, not shrunk
    k.choose("next_page")
    assert screen.page == 1
    assert "第2页" in "\n".join(screen.speech())
    k.choose("print_guide")
    printed = "\n".join(k.receipts(1)[-1].text_lines)
    assert "办事指南" in printed and "门诊慢特病" in printed
    k.choose("done")
    assert k.screen.name == "rate"

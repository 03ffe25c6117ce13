"""The first journey by keypad and by touch: attract → home → 查询 →
社保缴费记录 → card → masked records → print → 好差评 → thanks → attract, wiped."""

from __future__ import annotations

import gc
import sys

import pygame
import pytest

from kiosk.session import SessionState
from protocol.events import RATING_RECORD
from tools.headless import (
    CANARY_ID,
    CANARY_NAME,
    FakeDevices,
    FakeHub,
    Harness,
    canary_identity,
)


def _assert_wiped(app) -> None:
    assert app.session.state is SessionState.ATTRACT
    assert app.session.identity is None
    assert app.session.data == {}
    assert app.nav.stack == []
    assert not app.session.modes.elder
    # No name or ID number left in any screen, cache or the last frame's text.
    for text in app.text.cached_texts():
        assert CANARY_NAME not in text and CANARY_ID[-4:] not in text
    assert all(CANARY_NAME not in s for s in app.voice.history)
    # The full ID number may survive only as this test's own constant: a
    # module namespace or a code object's constants, never an object's state.
    module_dicts = {id(m.__dict__) for m in list(sys.modules.values()) if m is not None}
    gc.collect()
    for holder in gc.get_referrers(CANARY_ID):
        if isinstance(holder, dict):
            assert id(holder) in module_dicts, f"ID number still held by {holder!r:.200}"
        else:
            assert isinstance(holder, tuple), type(holder)  # code constants


@pytest.mark.parametrize("mode", ["keypad", "touch"])
def test_first_journey(mode: str) -> None:
    hub, devices = FakeHub(), FakeDevices()
    h = Harness(hub_client=hub, devices=devices)
    app = h.app
    assert app.screen.name == "attract"
    choose_contributions(h, mode)
    assert app.screen.name == "identify"
    h.place_card(canary_identity())
    h.settle()
    screen = app.screen
    assert screen.name == "query_result"
    assert hub.queries == [("contributions", CANARY_ID)]
    app.draw()
    shown = [row.spoken for page in screen._pages for row in page]
    joined = " ".join(shown)
    assert "4102**********0016" in joined and "测***雀" in joined
    assert CANARY_ID not in joined and CANARY_NAME not in joined
    assert screen.page_count > 1  # 18 years do not fit one page: paging is offered
    if mode == "keypad":
        keys = {opt.name: key for key, opt in screen.numbered_options()}
        h.press(getattr(pygame, f"K_{keys['print']}"))
    else:
        h.tap_button("print")
    h.settle()
    assert len(devices.printed) == 1
    receipt = devices.printed[0]
    assert CANARY_ID not in repr(receipt) and ("身份证号", "4102**********0016") in receipt.lines
    assert receipt.tables and len(receipt.tables[0].rows) == 18
    assert app.session.pages_printed == 1
    if mode == "keypad":
        h.press(pygame.K_RETURN)  # 完成
    else:
        h.tap_button("done")
    assert app.screen.name == "rate"
    if mode == "keypad":
        h.press(pygame.K_2)  # 满意
    else:
        h.tap_button("level_2")
    h.settle()
    ratings = journaled_ratings(app)
    assert ratings and ratings[0]["level"] == 2
    assert ratings[0]["service_id"] == "query.contributions"
    assert ratings[0]["session"] == app.recorder.records[0][1]["session"]  # this kiosk session
    assert app.screen.name == "thanks"
    h.press(pygame.K_RETURN)
    h.settle()
    _assert_wiped(app)
    # One person session, opened by the card read, closed at the hub with the visit.
    assert hub.asked["POST", "/person-sessions"] == 1
    assert hub.asked["POST", "/person-sessions/close"] == 1 and hub.sessions == {}
    summary = [data for kind, data in app.recorder.events if kind == "session_summary"]
    assert summary and summary[0]["completed"] and summary[0]["pages_printed"] == 1


def journaled_ratings(app) -> list[dict]:
    """The ratings the app journaled (the outbox takes them to the hub)."""
    return [data for kind, data in app.recorder.records if kind == RATING_RECORD]


def choose_contributions(h: Harness, mode: str) -> None:
    """From the attract screen to 查询 → 社保缴费记录, by keypad or by touch."""
    app = h.app
    if mode == "keypad":
        h.press(pygame.K_RETURN)  # any key starts
        assert app.screen.name == "home"
        h.press(pygame.K_1)  # 查询
        assert app.screen.name == "query_menu"
        h.press(pygame.K_1)  # 社保缴费记录
    else:
        h.tap((640, 400))  # a touch anywhere on attract starts the session
        assert app.screen.name == "home"
        h.tap_button("query")
        h.tap_button("contributions")


def test_bad_rating_asks_for_reasons() -> None:
    hub = FakeHub()
    h = Harness(hub_client=hub)
    app = h.app
    h.press(pygame.K_RETURN, pygame.K_1, pygame.K_1)
    h.place_card(canary_identity())
    h.press(pygame.K_RETURN)  # 完成
    h.press(pygame.K_5)  # 非常不满意
    assert app.screen.name == "rate_reasons"
    h.press(pygame.K_1, pygame.K_3)
    submit = {o.name: k for k, o in app.screen.numbered_options()}["submit"]
    h.press(getattr(pygame, f"K_{submit}"))
    h.settle()
    ratings = journaled_ratings(app)
    assert ratings[0]["level"] == 5
    assert ratings[0]["reasons"] == ["too_slow", "device_fault"]  # the hub's codes
    # What reaches the hub (journaled; the outbox delivers it, and the record
    # carries its time): the service, the rating and the session's opaque id,
    # nothing personal.
    rated = {"service_id", "level", "reasons", "session"}
    assert all(set(r) == rated for r in ratings)
    assert hub.ratings == []  # never sent directly: lost if the hub was down


def test_hub_unreachable_is_told_plainly_and_kiosk_keeps_running() -> None:
    hub = FakeHub(down=True)
    h = Harness(hub_client=hub)
    app = h.app
    h.press(pygame.K_RETURN, pygame.K_1, pygame.K_1)
    h.place_card(canary_identity())
    screen = app.screen
    assert screen.name == "query_result"
    assert screen.notice is not None and screen.notice.level == "error"
    assert "暂时无法连接服务中心" in screen.notice.message
    assert any("暂时无法连接服务中心" in s for s in app.voice.history)  # spoken, not only shown
    # The hub comes back: 重试 works without restarting anything.
    hub.down = False
    h.press(pygame.K_1)
    h.settle()
    assert app.screen.result is not None


def test_paper_out_disables_print_with_reason() -> None:
    devices = FakeDevices(paper_out=True)
    h = Harness(devices=devices)
    app = h.app
    h.press(pygame.K_RETURN, pygame.K_1, pygame.K_1)
    h.place_card(canary_identity())
    opts = {o.name: o for _, o in app.screen.numbered_options()}
    assert not opts["print"].enabled and "缺纸" in opts["print"].reason
    app.draw()
    button = next(b for b in app.screen.buttons if b.name == "print")
    assert "缺纸" in button.note  # the reason is written on the button, not only its colour
    assert devices.printed == []

"""A hub that takes no payments (``payment_provider = "none"``): the kiosk learns
it through its flows (GET /terminal-settings), hides 缴费 on the home screen and
the catalogue, and shows and says where to pay instead, in the person's language."""

from __future__ import annotations

from typing import Any

import pygame

from kiosk.flows.api import TERMINAL_SETTINGS
from tools.headless import FakeHub, Harness

ZH = "请到乡镇便民服务中心或兰考农商银行柜台缴费"
EN = "Please pay at the township service centre or a Lankao Rural Bank counter."


def settings(enabled: bool) -> dict[str, Any]:
    where = None if enabled else {"zh": ZH, "en": EN}
    return {
        "payments": {
            "enabled": enabled,
            "channel": "sandbox" if enabled else None,
            "pay_elsewhere": where,
        }
    }


def harness(enabled: bool) -> tuple[Harness, FakeHub]:
    hub = FakeHub()
    hub.answers["GET", TERMINAL_SETTINGS] = lambda _body: settings(enabled)
    h = Harness(hub_client=hub)
    h.flows.hub_offer.refresh()  # what the runtime does at start, on a task thread
    return h, hub


def home_tiles(h: Harness) -> list[str]:
    return [o.name for _, o in h.app.screen.numbered_options()]


def test_payments_off_hide_pay_and_say_where_to_pay() -> None:
    h, _ = harness(enabled=False)
    h.press(pygame.K_F3)  # voice guidance on: the screen is read out
    h.press(pygame.K_RETURN)
    assert h.app.screen.name == "home"
    assert "pay" not in home_tiles(h)
    assert home_tiles(h) == ["query", "apply", "print", "ticket", "help"]
    h.app.draw()
    assert f"本机暂不办理缴费。{ZH}" in h.app.screen.speech()
    assert any(ZH in said for said in h.app.voice.history)  # spoken, not only shown
    assert any(ZH in text for text in h.app.text.cached_texts())  # drawn on the screen


def test_payments_off_in_english() -> None:
    h, _ = harness(enabled=False)
    h.press(pygame.K_F6)  # English
    h.press(pygame.K_RETURN)
    assert h.app.screen.name == "home"
    assert f"Payments are not taken at this terminal. {EN}" in h.app.screen.speech()
    assert "pay" not in home_tiles(h)


def test_payments_on_keep_the_pay_tile() -> None:
    h, _ = harness(enabled=True)
    h.press(pygame.K_RETURN)
    assert home_tiles(h) == ["query", "apply", "pay", "print", "ticket", "help"]
    assert not any("缴费。" in part for part in h.app.screen.speech())


def test_a_pay_item_in_the_catalogue_is_not_offered_while_payments_are_off() -> None:
    from screens import previews
    from screens.start_item import item_action

    h, _ = harness(enabled=False)
    h.press(pygame.K_RETURN)
    guide = previews.GUIDE.model_copy(update={"capabilities": ["guide", "pay"]})
    assert item_action(h.app.screen.ctx, guide) is None
    on, _ = harness(enabled=True)
    on.press(pygame.K_RETURN)
    action = item_action(on.app.screen.ctx, guide)
    assert action is not None and action.name == "start_pay"

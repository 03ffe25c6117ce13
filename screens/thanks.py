"""Thank-you: reminds the person to take their card and receipt, then ends
the session (wiping everything) after a few seconds or on any choice."""

from __future__ import annotations

from typing import Any

from kiosk.i18n import N_
from kiosk.ui import Option, Screen, ScreenContext
from kiosk.ui.blocks import Block, Paragraph

SHOW_SECONDS = 8.0


class ThanksScreen(Screen):
    name = "thanks"
    title = N_("感谢您的使用")
    instruction = N_("请带好您的身份证、社保卡和凭条")
    chrome_back = False
    chrome_home = False

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self._until: float | None = None

    def blocks(self) -> list[Block]:
        return [Paragraph(self.ctx.tr("祝您生活愉快！"), bold=True, large=True)]

    def options(self) -> list[Option]:
        return [Option(N_("结束"), self._finish, confirm=True, name="finish")]

    def tick(self, now: float) -> bool:
        if self._until is None:
            self._until = now + SHOW_SECONDS
        elif now >= self._until:
            self._finish()
            return True
        return False

    def _finish(self) -> None:
        self.ctx.nav.end_session(completed=True)

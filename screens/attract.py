"""Attract screen: rotating announcements and 请触摸屏幕开始.

Shown between sessions. A touch anywhere, a key or a card starts a
session; the footer's 长辈模式 and 语音播报 switches start one with that
mode on. Rotation redraws once every few seconds and nothing in between,
so an idle kiosk costs almost no CPU.
"""

from __future__ import annotations

from typing import Any

from kiosk.i18n import N_
from kiosk.ui import Screen, ScreenContext
from kiosk.ui.blocks import Block, Paragraph

TIPS = (
    N_("持身份证或社保卡，即可查询社保、养老金、医保和补贴"),
    N_("城乡居民医保缴费，可在本机扫码缴纳"),
    N_("看不清？请按“长辈模式”，字更大，有语音"),
    N_("需要帮助？请按“呼叫工作人员”"),
)


class AttractScreen(Screen):
    name = "attract"
    title = N_("惠民自助服务终端")
    instruction = N_("请触摸屏幕开始，或放置身份证")
    chrome_back = False
    chrome_home = False
    mode_switches = True

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self._index = 0
        self._next_at: float | None = None
        self.rotation_s = float(params.get("rotation_s", 8.0))

    def messages(self) -> list[str]:
        tr = self.ctx.tr
        announcement = self.ctx.terminal.announcement
        tips = [tr(t) for t in TIPS]
        return ([announcement] if announcement else []) + tips

    def blocks(self) -> list[Block]:
        messages = self.messages()
        current = messages[self._index % len(messages)]
        return [
            Paragraph(self.ctx.tr("请触摸屏幕开始"), bold=True, large=True),
            Paragraph(current),
        ]

    def tick(self, now: float) -> bool:
        period = self.rotation_s
        if self._next_at is None:
            self._next_at = now + period
            return False
        if now < self._next_at:
            return False
        self._next_at = now + period
        self._index += 1
        self.refresh()
        return True

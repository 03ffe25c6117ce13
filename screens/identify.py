"""Identify: place the ID card on the reader or insert the social-security card.

The card itself arrives as an event from the reader (via the app); this
screen only tells the person what to do and moves on to the screen that
needed the identity (``then``), carrying the remaining parameters.
"""

from __future__ import annotations

from typing import Any, ClassVar

from kiosk.i18n import N_
from kiosk.session import Identity
from kiosk.ui import Screen, ScreenContext
from kiosk.ui.blocks import Block, Paragraph
from protocol.services import QueryKind


class IdentifyScreen(Screen):
    name = "identify"
    title = N_("请出示证件")
    instruction = N_("请将身份证放在下方感应区，或将社保卡插入读卡口")
    step = (2, 4)
    preview: ClassVar[dict[str, Any]] = {"then": "query_result", "kind": QueryKind.CONTRIBUTIONS}

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.then = str(params.pop("then", "home"))
        self.forward = dict(params)
        self.params = params

    def blocks(self) -> list[Block]:
        tr = self.ctx.tr
        blocks: list[Block] = [Paragraph(tr("正在等待读取证件……"), bold=True)]
        reader_ok, why = self.ctx.devices.available("idcard")
        if not reader_ok:
            blocks.append(
                Paragraph(tr("身份证读卡器暂不可用，请使用社保卡") + "（" + tr(why) + "）")
            )
        if self.ctx.terminal.demo:
            blocks.append(Paragraph(tr("演示：按F7放置演示身份证，按F9插入演示社保卡"), muted=True))
        return blocks

    def on_identity(self, identity: Identity) -> bool:
        self.ctx.voice.say(self.ctx.tr("读取成功"))
        self.ctx.nav.replace(self.then, **self.forward)
        return True

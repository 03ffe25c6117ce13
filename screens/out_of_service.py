"""Out of service: shown when nothing can be served (a required device is
down, the journal is full) or operators ordered maintenance."""

from __future__ import annotations

from typing import Any, ClassVar

from kiosk.i18n import N_
from kiosk.ui import Screen
from kiosk.ui.blocks import Block, Paragraph, notice


class OutOfServiceScreen(Screen):
    name = "out_of_service"
    title = N_("暂停服务")
    instruction = N_("本机暂时无法办理业务，给您带来不便，敬请谅解")
    chrome_back = False
    chrome_home = False
    preview: ClassVar[dict[str, Any]] = {"reason": N_("设备维护中")}

    def blocks(self) -> list[Block]:
        tr = self.ctx.tr
        reason = str(self.params.get("reason", ""))
        return [
            notice(tr, tr(reason) if reason else tr("设备维护中"), "error"),
            Paragraph(tr("如需帮助，请按“呼叫工作人员”，或到服务窗口办理")),
        ]

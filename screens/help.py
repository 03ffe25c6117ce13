"""Help (帮助): the display and voice settings in one place, and how to get a person."""

from __future__ import annotations

from kiosk.i18n import N_
from kiosk.ui import Option, Screen
from kiosk.ui.blocks import Block, Paragraph


class HelpScreen(Screen):
    name = "help"
    title = N_("帮助")
    instruction = N_("在这里调整字体、语音和颜色")

    def blocks(self) -> list[Block]:
        tr = self.ctx.tr
        return [
            Paragraph(tr("按数字键选择，按“确认”键确定，按“返回”键回到上一步。")),
            Paragraph(tr("按星号键可以重听，按加号、减号键调节音量。")),
            Paragraph(tr("遇到困难，请随时按“呼叫工作人员”。")),
        ]

    def options(self) -> list[Option]:
        modes, switches = self.ctx.session.modes, self.ctx.modes
        return [
            Option(
                N_("长辈模式：开") if modes.elder else N_("长辈模式"),
                switches.toggle_elder,
                name="elder",
            ),
            Option(
                N_("语音播报：开") if modes.voice else N_("语音播报"),
                switches.toggle_voice,
                name="voice",
            ),
            Option(
                N_("高对比度：开") if modes.high_contrast else N_("高对比度"),
                switches.toggle_contrast,
                name="contrast",
            ),
            Option(
                N_("English") if modes.language == "zh_CN" else N_("中文"),
                switches.toggle_language,
                name="language",
            ),
            # Volume and speed on screen too, not only on the keypad (accessibility.md §5).
            Option(N_("音量和语速"), lambda: self.ctx.nav.go("sound"), "secondary", name="sound"),
        ]

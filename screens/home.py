"""Home: the six things a villager comes for, as large numbered tiles."""

from __future__ import annotations

from kiosk.i18n import N_
from kiosk.privacy import mask_name
from kiosk.ui import Option, Screen
from kiosk.ui.blocks import Block, Paragraph


class HomeScreen(Screen):
    name = "home"
    title = N_("请选择您要办理的业务")
    instruction = N_("触摸选择，或按数字键")
    grid = True
    mode_switches = True

    def blocks(self) -> list[Block]:
        identity = self.ctx.session.identity
        if identity is None:
            return []
        return [
            Paragraph(self.ctx.tr.format("您好，{name}", name=mask_name(identity.name)), bold=True)
        ]

    def options(self) -> list[Option]:
        def tile(label: str, screen: str, name: str, style: str = "primary") -> Option:
            ready = self.ctx.nav.offers(screen)
            return Option(
                label,
                lambda: self.ctx.nav.go(screen),
                style,
                enabled=ready,
                reason="" if ready else N_("本机暂未开通此业务"),
                name=name,
            )

        return [
            tile(N_("查询"), "query_menu", "query"),
            tile(N_("办事"), "apply_menu", "apply"),
            tile(N_("缴费"), "pay_menu", "pay"),
            tile(N_("打印"), "print_menu", "print"),
            tile(N_("取号"), "ticket", "ticket"),
            tile(N_("帮助"), "help", "help", "secondary"),
        ]

"""Home: the six things a villager comes for, as large numbered tiles.

Where the hub takes no payments (``payment_provider = "none"``), 缴费 is not
offered: the tile goes, and the county's sentence saying where to pay
instead is shown and read out in its place."""

from __future__ import annotations

from kiosk.i18n import N_
from kiosk.privacy import mask_name
from kiosk.ui import Option, Screen
from kiosk.ui.blocks import Block, Paragraph
from screens.common import pay_elsewhere


class HomeScreen(Screen):
    name = "home"
    title = N_("请选择您要办理的业务")
    instruction = N_("触摸选择，或按数字键")
    grid = True
    mode_switches = True

    def blocks(self) -> list[Block]:
        blocks: list[Block] = []
        identity = self.ctx.session.identity
        if identity is not None:
            greeting = self.ctx.tr.format("您好，{name}", name=mask_name(identity.name))
            blocks.append(Paragraph(greeting, bold=True))
        elsewhere = pay_elsewhere(self.ctx)
        if elsewhere is not None:
            # Instead of the 缴费 tile: shown, and read out with the screen.
            blocks.append(Paragraph(elsewhere))
        return blocks

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

        tiles = [
            tile(N_("查询"), "query_menu", "query"),
            tile(N_("办事"), "apply_menu", "apply"),
            tile(N_("缴费"), "pay_menu", "pay"),
            tile(N_("打印"), "print_menu", "print"),
            tile(N_("取号"), "ticket", "ticket"),
            tile(N_("帮助"), "help", "help", "secondary"),
        ]
        if pay_elsewhere(self.ctx) is not None:  # the hub takes no payments
            tiles = [t for t in tiles if t.name != "pay"]
        return tiles

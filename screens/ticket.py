"""取号: choose the counter's business type, get a number and how many wait
ahead, printed. No card is needed (seeds/003 §19)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from kiosk import receipts
from kiosk.hub_client.models import Ticket, TicketTypes
from kiosk.i18n import N_
from kiosk.ui import Option, Screen, ScreenContext
from kiosk.ui.blocks import Block, Paragraph
from protocol.services import TerminalService
from screens import previews
from screens.common import LoadingScreen, ReceiptPrinting, finish_service

if TYPE_CHECKING:
    from kiosk.receipts import Receipt


class TicketScreen(LoadingScreen[TicketTypes]):
    name = "ticket"
    title = N_("取号")
    instruction = N_("请选择要办理的业务类型")
    step = (1, 2)
    preview: ClassVar[dict[str, Any]] = {"data": previews.TICKET_TYPES}

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.taking = False

    def fetch(self) -> Callable[[], TicketTypes]:
        return self.ctx.flows.tickets.types

    def ready_choices(self, data: TicketTypes) -> list[Option]:
        return [
            Option(
                self.ctx.tr.format("{name}（等候{n}人）", name=t.name, n=t.waiting),
                self._take(t.code),
                name=f"type_{t.code}",
            )
            for t in data.types
        ]

    def _take(self, code: str) -> Callable[[], None]:
        def take() -> None:
            if self.taking:
                return
            self.taking = True
            self.ctx.session.service_id = TerminalService.TICKET
            tickets = self.ctx.flows.tickets
            self.ctx.record("ticket_take", {"business_type": code})
            self.show_notice(self.ctx.tr("正在取号，请稍候……"), speak=False)
            self.ctx.tasks.run(lambda: tickets.take(code), self._taken, self._failed_take)

        return take

    def _taken(self, ticket: Ticket) -> None:
        self.taking = False
        self.ctx.nav.replace("ticket_done", ticket=ticket)

    def _failed_take(self, exc: Exception) -> None:
        self.taking = False
        self.show_notice(self.ctx.error_message(exc), "error")


class TicketDoneScreen(Screen):
    name = "ticket_done"
    title = N_("取号成功")
    step = (2, 2)
    chrome_back = False
    preview: ClassVar[dict[str, Any]] = {"ticket": previews.TICKET}

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.ticket: Ticket = params["ticket"]
        self.printing = ReceiptPrinting(self)

    def _receipt(self) -> Receipt:
        return receipts.from_printable(
            self.ticket.printable,
            tr=self.ctx.tr,
            terminal=self.ctx.terminal.name,
            now=self.ctx.clock.local_now(),
        )

    def on_enter(self) -> None:
        if not self.printing.done and not self.printing.busy:
            ok, why = self.ctx.devices.available("printer")
            if ok:
                self.printing.start(self._receipt())
            else:
                self.show_notice(
                    self.ctx.tr.format("{why}，请记住您的号码", why=self.ctx.tr(why)), "error"
                )

    def blocks(self) -> list[Block]:
        tr, t = self.ctx.tr, self.ticket
        return [
            Paragraph(tr.format("您的号码：{number}", number=t.number), bold=True, large=True),
            Paragraph(tr.format("业务类型：{name}", name=t.business_type_name)),
            Paragraph(tr.format("前面还有{n}人等候", n=t.waiting_ahead), bold=True),
            Paragraph(tr("请留意叫号，过号请重新取号")),
        ]

    def options(self) -> list[Option]:
        return [
            self.printing.option(self._receipt, N_("再打印一张")),
            Option(N_("完成"), lambda: finish_service(self.ctx), confirm=True, name="done"),
        ]

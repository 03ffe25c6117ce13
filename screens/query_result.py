"""Query results: the person's records from the hub, paged, printable.

Fetched on a task (the kiosk shows 正在查询 at once). The hub sends each
result with its ``printable`` form, already masked (GB/T 35273: mask where
the server renders); the screen shows exactly that, and 打印 prints it, so
screen and paper never disagree. 完成 goes to the rating.
"""

from __future__ import annotations

from typing import Any, ClassVar

from kiosk import receipts
from kiosk.flows.queries import Records
from kiosk.i18n import N_
from kiosk.ui import Option, Screen, ScreenContext
from kiosk.ui.blocks import Block
from protocol.services import QueryKind
from screens.printable import printable_blocks
from screens.query_menu import QUERY_TITLES


class QueryResultScreen(Screen):
    name = "query_result"
    instruction = N_("以下是查询结果")
    personal = True
    step = (3, 4)
    preview: ClassVar[dict[str, Any]] = {"kind": QueryKind.CONTRIBUTIONS}

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.kind = QueryKind(params["kind"])
        self.result: Records | None = None
        self.printing = False

    def title_text(self) -> str:
        return self.ctx.tr(QUERY_TITLES.get(self.kind, N_("查询结果")))

    def on_enter(self) -> None:
        if self.result is None:
            self._fetch()

    def _fetch(self) -> None:
        identity = self.ctx.session.identity
        if identity is None:
            self.ctx.nav.replace("identify", then=self.name, kind=self.kind)
            return
        self.show_notice(self.ctx.tr("正在查询，请稍候……"), speak=False)
        queries, kind = self.ctx.flows.queries, self.kind
        self.ctx.tasks.run(lambda: queries.records(kind, identity), self._loaded, self._failed)

    def _loaded(self, result: Records) -> None:
        self.result = result
        self.notice = None
        self.refresh()
        self.ctx.voice.announce(self)

    def _failed(self, exc: Exception) -> None:
        self.show_notice(self.ctx.error_message(exc), "error")

    def blocks(self) -> list[Block]:
        if self.result is None:
            return []
        return printable_blocks(self.ctx.tr, self.result.printable)

    def options(self) -> list[Option]:
        if self.result is None:
            if self.notice is not None and self.notice.level == "error":
                return [Option(N_("重试"), self._fetch, confirm=True, name="retry")]
            return []
        printer_ok, why = self.ctx.devices.available("printer")
        return [
            Option(
                N_("打印"),
                self._print,
                enabled=printer_ok and not self.printing,
                reason=why,
                name="print",
            ),
            Option(N_("完成"), self._done, "secondary", confirm=True, name="done"),
        ]

    def _print(self) -> None:
        if self.result is None or self.printing:
            return
        receipt = receipts.from_printable(
            self.result.printable,
            tr=self.ctx.tr,
            terminal=self.ctx.terminal.name,
            now=self.ctx.clock.local_now(),
        )
        self.printing = True
        self.show_notice(self.ctx.tr("正在打印，请稍候……"))
        self.ctx.devices.print_receipt(receipt, self._printed, self._print_failed)

    def _printed(self, _: object) -> None:
        self.printing = False
        self.show_notice(self.ctx.tr("打印完成，请取走凭条"), "success")

    def _print_failed(self, exc: Exception) -> None:
        self.printing = False
        self.show_notice(self.ctx.error_message(exc), "error")

    def _done(self) -> None:
        self.ctx.session.completed = True
        self.ctx.nav.go("rate")

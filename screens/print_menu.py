"""打印: 补打凭证, 打印办事指南, 打印社保参保证明.

补打: the hub offers no "documents of this person from the last 90 days"
endpoint yet, so the terminal lists what it printed for this person in
this session (``session.data["printed"]``, wiped with the session). When
the hub adds the endpoint, :class:`ReprintScreen` lists from it instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk import receipts
from kiosk.i18n import N_
from kiosk.ui.blocks import Block, Paragraph
from screens.base import Option, ScreenContext
from screens.common import ChoiceScreen, ReceiptPrinting, finish_service
from screens.start_item import start_certificate


class PrintMenuScreen(ChoiceScreen):
    name = "print_menu"
    title = N_("打印")
    instruction = N_("请选择要打印的内容")
    step = (1, 2)

    def choices(self) -> list[Option]:
        printer_ok, why = self.ctx.device_available("printer")
        return [
            Option(
                N_("打印社保参保证明"),
                self._certificate,
                enabled=printer_ok,
                reason=why,
                name="certificate",
            ),
            Option(N_("打印办事指南"), lambda: self.ctx.go("apply_menu"), name="guides"),
            Option(
                N_("补打本次办理的凭证"),
                lambda: self.ctx.go("reprint"),
                enabled=printer_ok,
                reason=why,
                name="reprint",
            ),
        ]

    def _certificate(self) -> None:
        self.ctx.session.service_id = "print.insurance_certificate"
        start_certificate(self.ctx)


class ReprintScreen(ChoiceScreen):
    name = "reprint"
    title = N_("补打凭证")
    personal = True
    step = (2, 2)
    grid = True  # titles with their print time are long: tiles let them wrap

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.printing = ReceiptPrinting(self)

    @property
    def kept(self) -> list[dict[str, Any]]:
        kept: list[dict[str, Any]] = self.ctx.session.data.get("printed", [])
        return kept

    def instruction_text(self) -> str:
        if self.kept:
            return self.ctx.tr("请选择要补打的凭证")
        return ""

    def blocks(self) -> list[Block]:
        if self.kept:
            return []
        return [
            Paragraph(self.ctx.tr("本次没有可补打的凭证。")),
            Paragraph(self.ctx.tr("更早的凭证请到窗口补打，工作人员可为您查询近90天的记录。")),
        ]

    def choices(self) -> list[Option]:
        return [
            Option(
                f"{p['title']} {p.get('issued_at', '')}",
                self._reprint(p),
                enabled=not self.printing.busy,
                reason=N_("正在打印"),
                name=f"kept_{i}",
            )
            for i, p in enumerate(self.kept)
        ]

    def fixed_options(self) -> list[Option]:
        return [Option(N_("完成"), lambda: finish_service(self.ctx), "secondary", name="done")]

    def _reprint(self, printable: dict[str, Any]) -> Callable[[], None]:
        def reprint() -> None:
            receipt = receipts.kept_receipt(
                printable,
                tr=self.ctx.tr,
                terminal=self.ctx.terminal_name,
                now=self.ctx.local_now(),
            )
            self.printing.start(receipt)

        return reprint

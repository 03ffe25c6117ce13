"""打印: 补打凭证, 打印办事指南, 打印社保参保证明.

补打 asks who the person is (the identify screen), then lists the
certificates, acceptance slips and payment receipts the hub issued for them
in the last 90 days (the documents flow, masked by the hub), together with
what this terminal printed in this session (``session.data["printed"]``,
wiped with the session) that the hub does not list. The chosen one is
printed again, marked 补打. When the hub cannot be reached, this session's
prints can still be reprinted, and the screen says plainly that older ones
cannot be found now.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from kiosk import receipts
from kiosk.hub_client import HubUnavailable
from kiosk.hub_client.models import DocumentList, Printable
from kiosk.i18n import N_
from kiosk.ui import Option, ScreenContext
from kiosk.ui.blocks import Block, Paragraph
from protocol.services import TerminalService
from screens import previews
from screens.common import (
    ChoiceScreen,
    LoadingScreen,
    ReceiptPrinting,
    finish_service,
    kept_prints,
    needs_identity,
)
from screens.start_item import start_certificate


class PrintMenuScreen(ChoiceScreen):
    name = "print_menu"
    title = N_("打印")
    instruction = N_("请选择要打印的内容")
    step = (1, 2)

    def choices(self) -> list[Option]:
        printer_ok, why = self.ctx.devices.available("printer")
        return [
            Option(
                N_("打印社保参保证明"),
                self._certificate,
                enabled=printer_ok,
                reason=why,
                name="certificate",
            ),
            Option(N_("打印办事指南"), lambda: self.ctx.nav.go("apply_menu"), name="guides"),
            Option(
                N_("补打近90天的凭证"),
                self._reprint,
                enabled=printer_ok,
                reason=why,
                name="reprint",
            ),
        ]

    def _certificate(self) -> None:
        self.ctx.session.service_id = TerminalService.PRINT_INSURANCE_CERTIFICATE
        start_certificate(self.ctx)

    def _reprint(self) -> None:
        self.ctx.session.service_id = self.ctx.session.service_id or TerminalService.PRINT_REPRINT
        if not needs_identity(self.ctx, "reprint"):
            self.ctx.nav.go("reprint")


def _same_paper(printable: Printable) -> tuple[object, ...]:
    """What makes two printables the same paper (the hub's copy carries every field)."""
    return (
        printable.title,
        printable.issued_at,
        printable.verification_code or None,
        tuple((line.label, line.value) for line in printable.lines),
    )


class ReprintScreen(LoadingScreen[DocumentList]):
    """补打: the person's documents of the last 90 days (hub) and this session's prints."""

    name = "reprint"
    title = N_("补打凭证")
    loading_text = N_("正在查询近90天的凭证，请稍候……")
    personal = True
    step = (2, 2)
    grid = True  # titles with their issue time are long: tiles let them wrap
    preview: ClassVar[dict[str, Any]] = {"data": previews.DOCUMENTS}

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.printing = ReceiptPrinting(self)
        self.offline = False  # the hub did not answer: only this session's prints

    def fetch(self) -> Callable[[], DocumentList]:
        identity = self.ctx.session.identity
        assert identity is not None  # the print menu asked for the card first
        documents = self.ctx.flows.documents
        return lambda: documents.of_person(identity)

    def reload(self) -> None:
        self.offline = False
        super().reload()

    def _on_load_error(self, exc: Exception) -> None:
        self.offline = isinstance(exc, HubUnavailable)
        super()._on_load_error(exc)

    def entries(self) -> list[tuple[str, str, Printable]]:
        """(option name, label, printable): this session's prints the hub does not
        list (newest), then the hub's documents, newest first."""
        tr = self.ctx.tr
        docs = self.data.documents if self.data is not None else []
        known = {_same_paper(d.printable) for d in docs}
        out: list[tuple[str, str, Printable]] = []
        for i, printable in reversed(list(enumerate(kept_prints(self.ctx)))):
            if _same_paper(printable) not in known:
                label = f"{tr(printable.title)} {printable.issued_at}"
                out.append((f"kept_{i}", label, printable))
        for doc in docs:
            # "受理回执 2026-11-16 10:00（门诊慢特病待遇认定）": the time belongs to the title.
            label = f"{tr(doc.title)} {doc.issued_at}"
            if doc.detail:
                label += f"（{doc.detail}）"
            out.append((f"doc_{doc.id}", label, doc.printable))
        return out

    def instruction_text(self) -> str:
        if self.entries():
            return self.ctx.tr("请选择要补打的凭证")
        return ""

    def blocks(self) -> list[Block]:
        tr = self.ctx.tr
        if self.data is None and not self.failed:
            return []
        has_entries = bool(self.entries())
        if self.offline:
            blocks: list[Block] = [
                Paragraph(tr("暂时无法连接服务中心，现在查不到以前的凭证。"), bold=True)
            ]
            if has_entries:
                blocks.append(Paragraph(tr("本次打印过的凭证仍可补打。")))
            else:
                blocks.append(Paragraph(tr("本次没有可补打的凭证。")))
            return blocks
        if has_entries:
            return []
        return [
            Paragraph(tr("近90天没有可补打的凭证。")),
            Paragraph(tr("更早的凭证请到窗口补打，工作人员可为您查询。")),
        ]

    def choices(self) -> list[Option]:
        if self.data is None and not self.failed:
            return []  # loading
        options = [
            Option(
                label,
                self._reprint(printable),
                enabled=not self.printing.busy,
                reason=N_("正在打印"),
                name=name,
            )
            for name, label, printable in self.entries()
        ]
        if self.failed:
            options.append(Option(N_("重试"), self.reload, "secondary", confirm=True, name="retry"))
        return options

    def fixed_options(self) -> list[Option]:
        return [Option(N_("完成"), lambda: finish_service(self.ctx), "secondary", name="done")]

    def _reprint(self, printable: Printable) -> Callable[[], None]:
        def reprint() -> None:
            receipt = receipts.kept_receipt(
                printable,
                tr=self.ctx.tr,
                terminal=self.ctx.terminal.name,
                now=self.ctx.clock.local_now(),
            )
            self.printing.start(receipt)

        return reprint

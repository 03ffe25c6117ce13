"""打印: 补打凭证, 打印办事指南, 打印社保参保证明.

补打 asks who the person is (the identify screen), then lists the
certificates, acceptance slips and payment receipts the hub issued for them
in the last 90 days (``POST /documents``, masked by the hub), together with
what this terminal printed in this session (``session.data["printed"]``,
wiped with the session) that the hub does not list. The chosen one is
printed again, marked 补打. When the hub cannot be reached, this session's
prints can still be reprinted, and the screen says plainly that older ones
cannot be found now.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from kiosk import receipts
from kiosk.i18n import N_
from kiosk.services import HubUnavailable
from kiosk.ui import Option, ScreenContext
from kiosk.ui.blocks import Block, Paragraph
from protocol.services import TerminalService
from screens.common import (
    ChoiceScreen,
    LoadingScreen,
    ReceiptPrinting,
    finish_service,
    needs_identity,
)
from screens.start_item import start_certificate

# What ``POST /documents`` answers, for opening the screen on its own (render test, audit).
PREVIEW_DOCUMENTS: dict[str, Any] = {
    "person": {"person_ref": "p_preview", "name_masked": "王*", "id_masked": "4102**********3020"},
    "reprint_days": 90,
    "documents": [
        {
            "id": 2,
            "kind": "acceptance_slip",
            "title": "受理回执",
            "detail": "门诊慢特病待遇认定",
            "issued_at": "2026-11-16 10:00",
            "printable": {
                "title": "受理回执",
                "lines": [
                    {"label": "事项", "value": "门诊慢特病待遇认定"},
                    {"label": "受理编号", "value": "20261116000001"},
                    {"label": "申请人", "value": "王*"},
                    {"label": "身份证号", "value": "4102**********3020"},
                ],
                "notes": ["凭受理编号可在自助终端查询办理进度"],
                "issued_at": "2026-11-16 10:00",
            },
        },
        {
            "id": 1,
            "kind": "certificate",
            "title": "社会保险参保证明",
            "detail": "",
            "issued_at": "2026-09-14 09:30",
            "printable": {
                "title": "社会保险参保证明",
                "lines": [
                    {"label": "姓名", "value": "王*"},
                    {"label": "身份证号", "value": "4102**********3020"},
                ],
                "verification_code": "ABCDEFGHJKMNPQRS",
                "qr_url": "http://127.0.0.1:8700/verify/ABCDEFGHJKMNPQRS",
                "issued_at": "2026-09-14 09:30",
            },
        },
    ],
}


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


def _same_paper(printable: Mapping[str, Any]) -> tuple[Any, ...]:
    """What makes two printables the same paper (the hub's copy carries every field)."""
    return (
        printable.get("title"),
        printable.get("issued_at"),
        printable.get("verification_code") or None,
        tuple((line.get("label"), line.get("value")) for line in printable.get("lines", [])),
    )


class ReprintScreen(LoadingScreen):
    """补打: the person's documents of the last 90 days (hub) and this session's prints."""

    name = "reprint"
    title = N_("补打凭证")
    loading_text = N_("正在查询近90天的凭证，请稍候……")
    personal = True
    step = (2, 2)
    grid = True  # titles with their issue time are long: tiles let them wrap
    preview: ClassVar[dict[str, Any]] = {"data": PREVIEW_DOCUMENTS}

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.printing = ReceiptPrinting(self)
        self.offline = False  # the hub did not answer: only this session's prints

    def fetch(self) -> Callable[[], Any]:
        identity = self.ctx.session.identity
        assert identity is not None  # the print menu asked for the card first
        gateway, id_number = self.ctx.services(), identity.id_number
        return lambda: gateway.documents(id_number)

    def reload(self) -> None:
        self.offline = False
        super().reload()

    def _on_load_error(self, exc: Exception) -> None:
        self.offline = isinstance(exc, HubUnavailable)
        super()._on_load_error(exc)

    @property
    def kept(self) -> list[dict[str, Any]]:
        kept: list[dict[str, Any]] = self.ctx.session.data.get("printed", [])
        return kept

    def entries(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(option name, label, printable): this session's prints the hub does not
        list (newest), then the hub's documents, newest first."""
        tr = self.ctx.tr
        docs: list[dict[str, Any]] = list((self.data or {}).get("documents", []))
        known = {_same_paper(d["printable"]) for d in docs}
        out: list[tuple[str, str, dict[str, Any]]] = []
        for i, printable in reversed(list(enumerate(self.kept))):
            if _same_paper(printable) not in known:
                label = f"{tr(str(printable.get('title', '')))} {printable.get('issued_at', '')}"
                out.append((f"kept_{i}", label, printable))
        for doc in docs:
            # "受理回执 2026-11-16 10:00（门诊慢特病待遇认定）": the time belongs to the title.
            label = f"{tr(str(doc['title']))} {doc['issued_at']}"
            if doc.get("detail"):
                label += f"（{doc['detail']}）"
            out.append((f"doc_{doc['id']}", label, doc["printable"]))
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

    def _reprint(self, printable: dict[str, Any]) -> Callable[[], None]:
        def reprint() -> None:
            receipt = receipts.kept_receipt(
                printable,
                tr=self.ctx.tr,
                terminal=self.ctx.terminal.name,
                now=self.ctx.clock.local_now(),
            )
            self.printing.start(receipt)

        return reprint

"""办件进度: by a 受理编号 typed on the keypad (no card needed: the number is
printed on the slip and results are masked), or all of the person's
applications after reading their card."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from kiosk import receipts
from kiosk.hub_client.models import ApplicationList
from kiosk.i18n import N_
from kiosk.ui import Option, ScreenContext
from kiosk.ui.blocks import Block, KeyValues, Paragraph, Table
from protocol.services import TerminalService
from screens import previews
from screens.common import (
    ChoiceScreen,
    LoadingScreen,
    ReceiptPrinting,
    finish_service,
    needs_identity,
)
from screens.entry import ACCEPTANCE_NO, EntrySpec

if TYPE_CHECKING:
    from kiosk.receipts import Receipt


class ProgressScreen(ChoiceScreen):
    name = "progress"
    title = N_("办件进度")
    instruction = N_("请选择查询方式")
    step = (1, 3)

    def choices(self) -> list[Option]:
        return [
            Option(N_("输入受理编号查询"), self._by_number, name="by_number"),
            Option(N_("读取证件查询本人全部办件"), self._mine, name="mine"),
        ]

    def _by_number(self) -> None:
        self.ctx.session.service_id = (
            self.ctx.session.service_id or TerminalService.QUERY_APPLICATIONS
        )
        spec = EntrySpec(
            ACCEPTANCE_NO.title,
            ACCEPTANCE_NO.prompt,
            ACCEPTANCE_NO.max_len,
            ACCEPTANCE_NO.validate,
            private=False,
            group=ACCEPTANCE_NO.group,
            step=(2, 3),
        )
        self.ctx.nav.go("entry", spec=spec, on_value=self._number_entered)

    def _number_entered(self, number: str) -> None:
        self.ctx.nav.replace("progress_result", acceptance_no=number)

    def _mine(self) -> None:
        self.ctx.session.service_id = (
            self.ctx.session.service_id or TerminalService.QUERY_APPLICATIONS
        )
        if not needs_identity(self.ctx, "progress_result"):
            self.ctx.nav.go("progress_result")


class ProgressResultScreen(LoadingScreen[ApplicationList]):
    name = "progress_result"
    title = N_("办件进度")
    personal = True
    step = (3, 3)
    preview: ClassVar[dict[str, Any]] = {"data": previews.PROGRESS}

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.acceptance_no: str | None = params.get("acceptance_no")
        self.printing = ReceiptPrinting(self)

    def fetch(self) -> Callable[[], ApplicationList]:
        progress, number = self.ctx.flows.progress, self.acceptance_no
        if number is not None:
            return lambda: progress.by_acceptance_no(number)
        identity = self.ctx.session.identity
        assert identity is not None
        return lambda: progress.of_person(identity)

    def blocks(self) -> list[Block]:
        if self.data is None:
            return []
        tr = self.ctx.tr
        person, records = self.data.person, self.data.records
        blocks: list[Block] = [
            KeyValues([(tr("申请人"), person.name_masked), (tr("身份证号"), person.id_masked)])
        ]
        if not records:
            return [*blocks, Paragraph(tr("暂无办件记录"))]
        blocks.append(
            Table(
                [tr("受理编号"), tr("事项"), tr("状态"), tr("预计办结")],
                [[r.acceptance_no, r.item_name, r.status_text, r.due_date] for r in records],
                [1.6, 2.4, 1, 1.2],
            )
        )
        if len(records) == 1:  # one application: its history too
            blocks.append(Paragraph(tr("办理过程"), bold=True))
            blocks.extend(
                Paragraph(f"{h.at}  {h.status_text}  {h.note}") for h in records[0].history
            )
        return blocks

    def ready_choices(self, data: ApplicationList) -> list[Option]:
        def receipt() -> Receipt:
            return receipts.from_printable(
                data.printable,
                tr=self.ctx.tr,
                terminal=self.ctx.terminal.name,
                now=self.ctx.clock.local_now(),
            )

        return [
            self.printing.option(receipt),
            Option(
                N_("完成"), lambda: finish_service(self.ctx), "secondary", confirm=True, name="done"
            ),
        ]

"""办事指南: every element of an item's guide (seeds/001: 办理依据、受理单位、
基本流程、申请材料、收费、办理时限、咨询方式, plus where and how many visits),
paged at the mode's text size, read page by page by voice guidance and
printable. From here the person starts what this terminal can do for the item.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from kiosk import receipts
from kiosk.hub_client.models import Guide
from kiosk.i18n import N_
from kiosk.ui import Option, ScreenContext
from kiosk.ui.blocks import Block, KeyValues, Paragraph, Table
from screens import previews
from screens.common import LoadingScreen, ReceiptPrinting, finish_service, pay_elsewhere
from screens.start_item import item_action

if TYPE_CHECKING:
    from kiosk.receipts import Receipt


class GuideScreen(LoadingScreen[Guide]):
    name = "guide"
    title = N_("办事指南")
    step = (3, 3)
    preview: ClassVar[dict[str, Any]] = {"item_id": previews.GUIDE.id, "data": previews.GUIDE}

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.item_id = str(params["item_id"])
        self.printing = ReceiptPrinting(self)

    def title_text(self) -> str:
        if self.data is None:
            return self.ctx.tr(self.title)
        return self.ctx.tr.format("办事指南：{name}", name=self.data.name)

    def fetch(self) -> Callable[[], Guide]:
        catalogue, item_id = self.ctx.flows.catalogue, self.item_id
        return lambda: catalogue.guide(item_id)

    def blocks(self) -> list[Block]:
        if self.data is None:
            return []
        g, tr = self.data, self.ctx.tr
        limits = g.time_limits
        promised = limits.promised_days
        statutory = limits.statutory_days
        blocks: list[Block] = []
        elsewhere = pay_elsewhere(self.ctx) if "pay" in g.capabilities else None
        if elsewhere is not None:  # paid for elsewhere while the hub takes no payments
            blocks.append(Paragraph(elsewhere, bold=True))
        blocks += [
            KeyValues(
                [
                    (tr("受理单位"), g.department),
                    (tr("跑动次数"), g.visits),
                    (
                        tr("承诺时限"),
                        tr("即办") if promised == 0 else tr.format("{n}个工作日", n=promised),
                    ),
                    (
                        tr("法定时限"),
                        tr("无") if statutory is None else tr.format("{n}个工作日", n=statutory),
                    ),
                    (tr("收费标准"), g.fees_text),
                    (tr("咨询电话"), g.phone),
                ]
            )
        ]
        if limits.note:
            blocks.append(Paragraph(limits.note, muted=True))
        blocks.append(Paragraph(tr("申请条件"), bold=True))
        blocks.extend(Paragraph(f"{i}. {c}") for i, c in enumerate(g.conditions, 1))
        blocks.append(Paragraph(tr("申请材料"), bold=True))
        blocks.append(
            Table(
                [tr("材料名称"), tr("形式"), tr("份数"), tr("说明")],
                [[m.name, m.form, str(m.copies), m.note] for m in g.materials]
                or [[tr("无需材料"), "", "", ""]],
                [2.2, 1, 0.7, 2],
            )
        )
        blocks.append(Paragraph(tr("办理流程"), bold=True))
        blocks.extend(Paragraph(f"{i}. {s}") for i, s in enumerate(g.process, 1))
        if g.fees:
            blocks.append(Paragraph(tr("收费依据"), bold=True))
            blocks.extend(Paragraph(f"{f.name}：{f.basis}") for f in g.fees)
        blocks.append(Paragraph(tr("办理地点"), bold=True))
        blocks.extend(Paragraph(f"{w.name}：{w.address}（{w.hours}）") for w in g.where)
        blocks.append(Paragraph(tr("办理依据"), bold=True))
        blocks.extend(Paragraph(b) for b in g.legal_basis)
        return blocks

    def ready_choices(self, data: Guide) -> list[Option]:
        def receipt() -> Receipt:
            return receipts.guide_receipt(
                data, terminal=self.ctx.terminal.name, when=self.ctx.clock.now_text()
            )

        opts: list[Option] = []
        action = item_action(self.ctx, data)
        if action is not None:
            opts.append(action)
        opts.append(self.printing.option(receipt, N_("打印办事指南"), "print_guide"))
        opts.append(Option(N_("看完了"), self._done, "secondary", name="done"))
        return opts

    def _done(self) -> None:
        if not self.ctx.session.service_id:
            self.ctx.session.service_id = self.item_id
        finish_service(self.ctx)

"""城乡居民基本养老保险参保登记: choosing the 缴费档次 (yearly contribution grade).

The grades come from the catalogue (``options.grades_yuan``); eleven of them
do not fit one 长辈 screen, so they come in groups (screens/common.py).
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk.i18n import N_
from kiosk.ui import Option
from kiosk.ui.blocks import Block, Paragraph
from screens.application_draft import go_next
from screens.apply_common import ApplyScreen


class ApplyGradeScreen(ApplyScreen):
    name = "apply_grade"
    title = N_("请选择缴费档次")
    instruction = N_("每年按所选档次缴费，档次越高，政府补贴和将来的养老金越多")

    def blocks(self) -> list[Block]:
        if self.draft.grade_yuan is None:
            return []
        return [
            Paragraph(self.ctx.tr.format("当前选择：每年{n}元", n=self.draft.grade_yuan), bold=True)
        ]

    def choices(self) -> list[Option]:
        return [
            Option(self.ctx.tr.format("每年{n}元", n=g), self._pick(g), name=f"grade_{g}")
            for g in self.draft.grades
        ]

    def _pick(self, grade: int) -> Callable[[], None]:
        def choose() -> None:
            self.draft.grade_yuan = grade
            go_next(self.ctx, self.name)

        return choose

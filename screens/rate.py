"""好差评: five levels after every completed service; for the two bad
levels the person may pick reasons from a fixed list. Stored at the hub per
service and terminal, without personal data, once per kiosk session.

A rating is a journal record (:data:`protocol.events.RATING_RECORD`): the
outbox delivers it like every other record, so one made while the hub is
down reaches it later and is never lost."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from kiosk.i18n import N_
from kiosk.ui import Option, Screen, ScreenContext
from kiosk.ui.blocks import Block, Paragraph
from protocol.events import RATING_RECORD, RatingRecord
from protocol.services import GENERAL_SERVICE

LEVELS: tuple[tuple[int, str], ...] = (
    (1, N_("非常满意")),
    (2, N_("满意")),
    (3, N_("基本满意")),
    (4, N_("不满意")),
    (5, N_("非常不满意")),
)
BAD_LEVELS = frozenset({4, 5})

# Used when the hub cannot be asked for its list. The codes are the hub's
# "bad" reason codes (hub/services/ratings.py REASONS): it refuses any other.
FALLBACK_REASONS: tuple[tuple[str, str], ...] = (
    ("too_slow", N_("办理时间太长")),
    ("hard_to_use", N_("看不懂操作提示")),
    ("device_fault", N_("设备出现故障")),
    ("many_visits", N_("没有办成要办的事")),
    ("other", N_("工作人员服务不好")),
)


def submit_rating(ctx: ScreenContext, level: int, reasons: list[str]) -> None:
    """Journal the rating (the outbox takes it to the hub) and thank the person.

    Nothing waits for the hub: the record is written at once and delivered
    in the background, later if the hub is unreachable now.
    """
    session = ctx.session
    rating = RatingRecord(
        service_id=session.service_id or GENERAL_SERVICE,  # the terminal as a whole
        level=level,
        reasons=reasons,
        session=session.id,  # the hub keeps one rating per kiosk session
    )
    ctx.record(RATING_RECORD, rating.model_dump())
    ctx.nav.replace("thanks")


class RateScreen(Screen):
    name = "rate"
    title = N_("请评价本次服务")
    instruction = N_("您的评价帮助我们改进服务")
    step = (4, 4)
    chrome_back = False

    def options(self) -> list[Option]:
        return [Option(label, self._rate(level), name=f"level_{level}") for level, label in LEVELS]

    def _rate(self, level: int) -> Callable[[], None]:
        def rate() -> None:
            if level in BAD_LEVELS:
                self.ctx.nav.replace("rate_reasons", level=level)
            else:
                submit_rating(self.ctx, level, [])

        return rate


class RateReasonsScreen(Screen):
    name = "rate_reasons"
    title = N_("请选择不满意的原因")
    preview: ClassVar[dict[str, Any]] = {"level": 4}
    instruction = N_("可选多项，选好后按“提交”")
    step = (4, 4)
    chrome_back = False

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.level = int(params["level"])
        self.chosen: list[str] = []

    def blocks(self) -> list[Block]:
        if not self.chosen:
            return []
        labels = dict(FALLBACK_REASONS)
        chosen = "、".join(self.ctx.tr(labels[c]) for c in self.chosen)
        return [Paragraph(self.ctx.tr.format("已选：{chosen}", chosen=chosen))]

    def options(self) -> list[Option]:
        opts = [
            Option(
                label + (" ✓" if code in self.chosen else ""),
                self._toggle(code),
                "secondary",
                name=code,
            )
            for code, label in FALLBACK_REASONS
        ]
        opts.append(Option(N_("提交"), self._submit, confirm=True, name="submit"))
        return opts

    def _toggle(self, code: str) -> Callable[[], None]:
        def toggle() -> None:
            if code in self.chosen:
                self.chosen.remove(code)
            else:
                self.chosen.append(code)
            self.refresh()

        return toggle

    def _submit(self) -> None:
        submit_rating(self.ctx, self.level, list(self.chosen))

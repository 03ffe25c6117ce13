"""Choose what to look up. Each query needs the person's identity first."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.i18n import N_
from kiosk.ui import Option, Screen
from protocol.services import QueryKind, query_service

QUERIES: tuple[tuple[QueryKind, str], ...] = (
    (QueryKind.CONTRIBUTIONS, N_("社保缴费记录")),
    (QueryKind.PENSION, N_("养老金发放记录")),
    (QueryKind.MEDICAL, N_("医保参保与缴费")),
    (QueryKind.SUBSIDIES, N_("惠农补贴发放")),
    (QueryKind.APPLICATIONS, N_("办件进度")),
)

QUERY_TITLES = dict(QUERIES)


class QueryMenuScreen(Screen):
    name = "query_menu"
    title = N_("查询")
    instruction = N_("请选择要查询的内容")
    step = (1, 4)

    def options(self) -> list[Option]:
        return [Option(label, self._choose_query(kind), name=kind) for kind, label in QUERIES]

    def _choose_query(self, kind: QueryKind) -> Callable[[], None]:
        def choose() -> None:
            self.ctx.session.service_id = query_service(kind)
            if kind is QueryKind.APPLICATIONS:
                # By acceptance number typed on the keypad, or all of the person's.
                self.ctx.nav.go("progress")
            elif self.ctx.session.identity is None:
                self.ctx.nav.go("identify", then="query_result", kind=kind)
            else:
                self.ctx.nav.go("query_result", kind=kind)

        return choose

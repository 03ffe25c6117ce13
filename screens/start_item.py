"""From a catalogue item to the journey this terminal offers for it.

The catalogue says what the terminal can do (``capabilities``, ``form``,
``query_kind``); this module turns that into the one action shown on the
guide screen and starts the right flow, asking for a card first where
the flow needs one.
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk.hub_client.models import Guide
from kiosk.i18n import N_
from kiosk.ui import Option, ScreenContext
from protocol.services import INSURANCE_CERTIFICATE_ITEM, QueryKind
from screens.application_draft import ApplicationDraft
from screens.common import needs_identity, offered


def item_action(ctx: ScreenContext, guide: Guide) -> Option | None:
    """The option that starts what this terminal offers for ``guide``'s item, if any."""
    caps, form, kind = offered(ctx, guide.capabilities), guide.form, guide.query_kind
    if "apply" in caps and form:
        return Option(N_("在本机申请"), _apply(ctx, guide), confirm=True, name="start_apply")
    if "pay" in caps:
        return Option(
            N_("在本机缴费"), lambda: ctx.nav.go("pay_menu"), confirm=True, name="start_pay"
        )
    if kind == QueryKind.INSURANCE_CERTIFICATE:
        return Option(
            N_("打印参保证明"), lambda: start_certificate(ctx), confirm=True, name="start_print"
        )
    if kind == QueryKind.APPLICATIONS:
        return Option(
            N_("查询办件进度"), lambda: ctx.nav.go("progress"), confirm=True, name="start_query"
        )
    if kind:
        return Option(N_("在本机查询"), _query(ctx, kind), confirm=True, name="start_query")
    return None


def start_certificate(ctx: ScreenContext) -> None:
    ctx.session.service_id = ctx.session.service_id or INSURANCE_CERTIFICATE_ITEM
    if not needs_identity(ctx, "certificate"):
        ctx.nav.go("certificate")


def _query(ctx: ScreenContext, kind: str) -> Callable[[], None]:
    def start() -> None:
        if not needs_identity(ctx, "query_result", kind=kind):
            ctx.nav.go("query_result", kind=kind)

    return start


def _apply(ctx: ScreenContext, guide: Guide) -> Callable[[], None]:
    def start() -> None:
        ctx.session.data["draft"] = ApplicationDraft.for_item(guide)
        first = "allowance_check" if guide.form == "elderly_allowance" else "consent"
        if not needs_identity(ctx, first):
            ctx.nav.go(first)

    return start

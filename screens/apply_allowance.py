"""高龄津贴申请: the age check before anything else, and the payout account.

Eligibility is read from the birth date on the card (80 or older on the
terminal's date); a younger person is told why, plainly, before any data
is used. The allowance is paid only to the bank account of the person's
own social-security card (the hub refuses any other), so the account step
shows that account masked (first 6 + last 4) for the person to confirm.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from kiosk.hub_client.models import Pensions
from kiosk.i18n import N_
from kiosk.ui import Option, Screen, ScreenContext
from kiosk.ui.blocks import Block, Paragraph
from screens import previews
from screens.application_draft import ApplicationDraft, go_next
from screens.apply_common import ApplyScreen
from screens.common import LoadingScreen

MIN_AGE = 80


class AllowanceCheckScreen(Screen):
    """Not a visible step: decides at once and moves on (or explains the refusal)."""

    name = "allowance_check"
    title = N_("高龄津贴申请")
    personal = True
    transient = True
    # Opened on its own (tests, the audit) it starts the draft a flow would have started.
    preview: ClassVar[dict[str, Any]] = {"draft": previews.ALLOWANCE_GUIDE}

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        given = params.get("draft")
        if given and "draft" not in ctx.session.data:
            ctx.session.data["draft"] = ApplicationDraft.for_item(given)

    def on_enter(self) -> None:
        identity = self.ctx.session.identity
        age = identity.age(self.ctx.clock.today()) if identity is not None else None
        if age is not None and age >= MIN_AGE:
            self.ctx.nav.replace("consent")
            return
        self.ctx.session.data.pop("draft", None)
        lines = [N_("高龄津贴需年满80周岁才能申请。")]
        if age is None:
            lines.append(N_("未能从证件中读取出生日期，请到窗口办理。"))
        else:
            lines.append(
                self.ctx.tr.format("您今年{age}岁，暂不符合申请条件，满80周岁后可以申请。", age=age)
            )
        self.ctx.nav.replace("message", heading=N_("暂不符合申请条件"), lines=lines)


class ApplyAccountScreen(ApplyScreen, LoadingScreen[Pensions]):
    name = "apply_account"
    title = N_("请确认津贴发放账户")
    instruction = N_("高龄津贴按月发放到您本人社保卡的银行账户")
    preview: ClassVar[dict[str, Any]] = {
        "draft": previews.ALLOWANCE_GUIDE,
        "data": previews.PENSIONS,
    }

    def fetch(self) -> Callable[[], Pensions]:
        identity = self.ctx.session.identity
        assert identity is not None
        queries = self.ctx.flows.queries
        # The pension record carries the social-security card's account, masked by the hub.
        return lambda: queries.pension(identity, months=1)

    def blocks(self) -> list[Block]:
        if self.data is None:
            return []
        return [
            Paragraph(
                self.ctx.tr.format("社保卡银行账户：{account}", account=self.data.bank_masked),
                bold=True,
            ),
            Paragraph(
                self.ctx.tr("如需更换发放账户，请带银行卡到窗口办理社保卡账户变更"), muted=True
            ),
        ]

    def ready_choices(self, data: Pensions) -> list[Option]:
        return [Option(N_("使用此账户"), lambda: self._use(data), confirm=True, name="use_account")]

    def _use(self, data: Pensions) -> None:
        self.draft.account_masked = data.bank_masked
        go_next(self.ctx, self.name)

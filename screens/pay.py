"""缴费: choose what to pay, for whom, then confirm (read aloud) and choose how.

Steps: 1 缴费项目 → (card) → 2 缴费人员 (the person, plus family members by
ID number typed on the keypad, GB 11643-checked) → 3 确认并选择支付方式 →
4 支付 (screens/pay_run.py). The amount always comes from the hub's quote.
The printer is checked on the confirm screen, before any money moves: out
of paper, the person is told and may pay without a printed receipt.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from kiosk.flows.payments import PaymentPlan
from kiosk.hub_client import HubError
from kiosk.hub_client.models import Quote
from kiosk.i18n import N_
from kiosk.receipts import yuan
from kiosk.ui import Option, ScreenContext
from kiosk.ui.blocks import Block, KeyValues, Paragraph, Table, notice
from protocol.services import TerminalService
from screens import previews
from screens.common import ChoiceScreen, LoadingScreen, needs_identity, pay_elsewhere
from screens.entry import ID_NUMBER, EntrySpec

STEPS = 4
MAX_FAMILY = 4  # the hub accepts up to 8 payers; four keeps one screen readable


class PayMenuScreen(ChoiceScreen):
    name = "pay_menu"
    title = N_("缴费")
    instruction = N_("请选择要缴纳的费用")
    step = (1, STEPS)

    def blocks(self) -> list[Block]:
        elsewhere = pay_elsewhere(self.ctx)
        return [] if elsewhere is None else [Paragraph(elsewhere, bold=True)]

    def choices(self) -> list[Option]:
        if pay_elsewhere(self.ctx) is not None:  # the hub takes no payments
            return []
        return [Option(N_("城乡居民医保缴费"), self._medical, name="medical")]

    def _medical(self) -> None:
        self.ctx.session.service_id = TerminalService.PAY_RESIDENT_MEDICAL
        self.ctx.session.data["pay_family"] = []
        if not needs_identity(self.ctx, "pay_people"):
            self.ctx.nav.go("pay_people")


class PayPeopleScreen(LoadingScreen[Quote]):
    """Who pays: the person and family members; amounts from the hub's quote."""

    name = "pay_people"
    title = N_("缴费人员")
    instruction = N_("可以为家庭成员一起缴费，核对后按“下一步”")
    personal = True
    step = (2, STEPS)
    preview: ClassVar[dict[str, Any]] = {"data": previews.QUOTE}

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.ctx.session.data.setdefault("pay_family", [])

    @property
    def family(self) -> list[str]:
        family: list[str] = self.ctx.session.data.setdefault("pay_family", [])
        return family

    def fetch(self) -> Callable[[], Quote]:
        identity = self.ctx.session.identity
        assert identity is not None
        family = list(self.family)
        payments = self.ctx.flows.payments
        return lambda: payments.quote(identity, family)

    def _on_load_error(self, exc: Exception) -> None:
        # A family member the hub refuses (unknown, already paying…): drop that
        # number and keep the rest; any other failure is told with 重试.
        if isinstance(exc, HubError) and self.family and self.data is not None:
            self.family.pop()
            self.failed = False
            self.show_notice(self.ctx.error_message(exc), "error")
            return
        super()._on_load_error(exc)

    def blocks(self) -> list[Block]:
        if self.data is None:
            return []
        tr = self.ctx.tr
        rows = [
            [p.name_masked, p.id_masked, p.status_text, yuan(p.amount_fen)]
            for p in self.data.persons
        ]
        return [
            Paragraph(self.data.item_name, bold=True),
            Table([tr("姓名"), tr("身份证号"), tr("状态"), tr("金额")], rows, [1, 2, 1.2, 1]),
            Paragraph(tr.format("合计：{total}", total=yuan(self.data.total_fen)), bold=True),
        ]

    def ready_choices(self, data: Quote) -> list[Option]:
        payable = data.total_fen > 0
        opts = [
            Option(
                N_("下一步"),
                self._next,
                enabled=payable,
                reason=N_("没有需要缴纳的费用"),
                confirm=True,
                name="next",
            ),
            Option(
                N_("添加家庭成员"),
                self._add,
                "secondary",
                enabled=len(self.family) < MAX_FAMILY,
                reason=N_("一次最多为4位家庭成员缴费"),
                name="add_family",
            ),
        ]
        if self.family:
            opts.append(Option(N_("移除最后添加的人"), self._remove, "secondary", name="remove"))
        return opts

    def _add(self) -> None:
        spec = EntrySpec(
            N_("请输入家庭成员的身份证号码"),
            ID_NUMBER.prompt,
            ID_NUMBER.max_len,
            ID_NUMBER.validate,
            allow_x=True,
            group=ID_NUMBER.group,
            step=self.step,
        )
        self.ctx.nav.go("entry", spec=spec, on_value=self._added)

    def _added(self, id_number: str) -> None:
        identity = self.ctx.session.identity
        if (identity and id_number == identity.id_number) or id_number in self.family:
            self.ctx.nav.back()
            self.show_notice(self.ctx.tr("此人已在缴费名单中"), "error")
            return
        self.family.append(id_number)
        self.ctx.nav.back()
        self.reload()

    def _remove(self) -> None:
        if self.family:
            self.family.pop()
            self.reload()

    def _next(self) -> None:
        assert self.data is not None
        identity = self.ctx.session.identity
        assert identity is not None
        # The quote lists people in the order asked; the plan keeps only those who owe.
        ids = [identity.id_number, *self.family]
        self.ctx.session.data["pay"] = PaymentPlan.from_quote(self.data, ids)
        self.ctx.nav.go("pay_confirm")


class PayConfirmScreen(ChoiceScreen):
    """Read aloud before money moves; choosing how to pay is the confirmation."""

    name = "pay_confirm"
    title = N_("请确认缴费信息")
    instruction = N_("核对无误后，请选择支付方式")
    personal = True
    step = (3, STEPS)
    preview: ClassVar[dict[str, Any]] = {"pay": previews.PAY}

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.pay: PaymentPlan = params.get("pay") or ctx.session.data["pay"]

    def _summary(self) -> list[tuple[str, str]]:
        tr = self.ctx.tr
        pairs = [(tr("缴费项目"), self.pay.item_name)]
        for p in self.pay.payers:
            pairs.append((tr("缴费人"), f"{p.name_masked} {p.id_masked}"))
        pairs.append((tr("合计金额"), yuan(self.pay.total_fen)))
        return pairs

    def _printer_note(self) -> str:
        ok, why = self.ctx.devices.available("printer")
        if ok:
            return ""
        return self.ctx.tr.format(
            "{why}。缴费成功后将无法打印缴费凭证，您可以继续缴费，凭证稍后可在“打印”中补打",
            why=self.ctx.tr(why),
        )

    def blocks(self) -> list[Block]:
        blocks: list[Block] = [
            KeyValues(self._summary()),
            Paragraph(
                self.ctx.tr("扫码支付：用手机扫屏幕上的二维码；付款码支付：出示手机上的付款码"),
                muted=True,
            ),
        ]
        note = self._printer_note()
        if note:
            blocks.append(notice(self.ctx.tr, note, "error"))
        return blocks

    def on_enter(self) -> None:
        # Read the summary aloud even with voice guidance off (accessibility.md §6).
        tr = self.ctx.tr
        parts = [tr("请确认"), *(f"{k}，{v}" for k, v in self._summary())]
        note = self._printer_note()
        if note:
            parts.append(note)
        self.ctx.voice.say("；".join(parts))

    def choices(self) -> list[Option]:
        no_paper = bool(self._printer_note())
        return [
            Option(
                N_("不打印，扫码支付") if no_paper else N_("扫码支付"),
                lambda: self._pay("native", no_paper),
                name="pay_qr",
            ),
            Option(
                N_("不打印，付款码支付") if no_paper else N_("付款码支付"),
                lambda: self._pay("micropay", no_paper),
                name="pay_code",
            ),
            Option(N_("返回修改"), self.ctx.nav.back, "secondary", name="change"),
        ]

    def _pay(self, method: str, no_paper: bool) -> None:
        self.pay.without_receipt = no_paper
        self.ctx.nav.go("pay_qr" if method == "native" else "pay_scan")

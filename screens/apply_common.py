"""申请 (一证通办): the screens every application flow shares (the draft and
the steps per form are :mod:`screens.application_draft`).

Delivery address: a numeric keypad cannot type Chinese free text, so the
choice is 到窗口领取 or 邮寄到身份证上的地址 (the address read from the chip).
A different address needs the counter, where staff can type it; the screen
says so.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from kiosk import receipts
from kiosk.flows.applications import DeliveryMethod
from kiosk.hub_client.models import ApplicationAccepted
from kiosk.i18n import N_
from kiosk.privacy import mask_id_number, mask_name, mask_phone
from kiosk.ui import Option, Screen, ScreenContext
from kiosk.ui.blocks import Block, KeyValues, Paragraph, notice
from screens import previews
from screens.application_draft import STEPS, ApplicationDraft, draft_of, go_next, step_of
from screens.common import ChoiceScreen, ReceiptPrinting, finish_service, keep_for_reprint
from screens.entry import PHONE, EntrySpec

if TYPE_CHECKING:
    from kiosk.receipts import Receipt


class ApplyScreen(ChoiceScreen):
    """A step of an application: knows its draft and its place in the flow."""

    personal = True
    preview: ClassVar[dict[str, Any]] = {"draft": previews.GUIDE}

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        given = params.get("draft")  # previews pass a guide; the flow keeps its draft
        self.draft = ApplicationDraft.for_item(given) if given else draft_of(ctx)

    @property
    def step(self) -> tuple[int, int]:  # type: ignore[override]
        return step_of(self.draft, self.name)


class MessageScreen(Screen):
    """A plain message that ends a flow (refusals, declined consent)."""

    name = "message"
    preview: ClassVar[dict[str, Any]] = {
        "heading": N_("申请已结束"),
        "lines": [N_("您没有同意授权，本次申请已结束。您的个人信息没有被使用，也没有提交。")],
    }

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.heading = str(params["heading"])
        self.lines = [str(line) for line in params["lines"]]

    def title_text(self) -> str:
        return self.ctx.tr(self.heading)

    def blocks(self) -> list[Block]:
        return [Paragraph(self.ctx.tr(line)) for line in self.lines]

    def options(self) -> list[Option]:
        return [Option(N_("返回首页"), self.ctx.nav.home, confirm=True, name="home")]


class ApplyFormScreen(ApplyScreen):
    """Pre-filled from the card; the person adds a mobile number on the keypad."""

    name = "apply_form"
    title = N_("核对信息并填写电话")
    instruction = N_("以下信息读取自您的证件，请核对；再填写手机号码")

    def blocks(self) -> list[Block]:
        tr, identity = self.ctx.tr, self.ctx.session.identity
        assert identity is not None
        pairs = [
            (tr("事项"), self.draft.item_name),
            (tr("姓名"), mask_name(identity.name)),
            (tr("身份证号"), mask_id_number(identity.id_number)),
            (
                tr("出生日期"),
                identity.birth_date.isoformat() if identity.birth_date else tr("未读取"),
            ),
            (tr("手机号码"), mask_phone(self.draft.phone) if self.draft.phone else tr("未填写")),
        ]
        return [KeyValues(pairs)]

    def choices(self) -> list[Option]:
        has_phone = bool(self.draft.phone)
        return [
            Option(
                N_("下一步") if has_phone else N_("填写手机号码"),
                self._next if has_phone else self._phone,
                confirm=True,
                name="next" if has_phone else "phone",
            ),
            *(
                [Option(N_("修改手机号码"), self._phone, "secondary", name="phone")]
                if has_phone
                else []
            ),
        ]

    def _phone(self) -> None:
        spec = EntrySpec(
            PHONE.title,
            PHONE.prompt,
            PHONE.max_len,
            PHONE.validate,
            group=PHONE.group,
            step=self.step,
        )
        self.ctx.nav.go("entry", spec=spec, on_value=self._phone_entered)

    def _phone_entered(self, phone: str) -> None:
        self.draft.phone = phone
        self.ctx.nav.back()
        self.refresh()

    def _next(self) -> None:
        go_next(self.ctx, self.name)


class ApplyDeliveryScreen(ApplyScreen):
    name = "apply_delivery"
    title = N_("请选择结果领取方式")
    instruction = N_("办理结果可以到窗口领取，也可以邮寄到您身份证上的地址")

    def blocks(self) -> list[Block]:
        return [
            Paragraph(
                self.ctx.tr("如需邮寄到其他地址，请到窗口办理，工作人员会帮您填写"), muted=True
            )
        ]

    def choices(self) -> list[Option]:
        identity = self.ctx.session.identity
        has_address = identity is not None and len(identity.address) >= 5
        return [
            Option(N_("到窗口领取"), lambda: self._pick("counter"), name="counter"),
            Option(
                N_("邮寄到身份证上的地址"),
                lambda: self._pick("post"),
                enabled=has_address,
                reason=N_("社保卡中没有地址，请选择到窗口领取"),
                name="post",
            ),
        ]

    def _pick(self, method: DeliveryMethod) -> None:
        self.draft.delivery = method
        go_next(self.ctx, self.name)


class ApplyConfirmScreen(ApplyScreen):
    """The summary, read aloud, then 确认提交 sends the application."""

    name = "apply_confirm"
    title = N_("请确认申请信息")
    instruction = N_("核对无误后按“确认提交”")

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.sending = False

    def summary(self) -> list[tuple[str, str]]:
        tr, d = self.ctx.tr, self.draft
        identity = self.ctx.session.identity
        assert identity is not None
        pairs = [
            (tr("事项"), d.item_name),
            (tr("申请人"), mask_name(identity.name)),
            (tr("身份证号"), mask_id_number(identity.id_number)),
            (tr("手机号码"), mask_phone(d.phone)),
        ]
        if d.grade_yuan is not None:
            pairs.append((tr("缴费档次"), tr.format("每年{n}元", n=d.grade_yuan)))
        if d.account_masked:
            pairs.append((tr("发放账户"), d.account_masked))
        pairs.append(
            (
                tr("领取方式"),
                tr("邮寄到身份证上的地址") if d.delivery == "post" else tr("到窗口领取"),
            )
        )
        pairs.append((tr("承诺时限"), tr.format("{n}个工作日内办结", n=d.promised_days)))
        return pairs

    def blocks(self) -> list[Block]:
        return [KeyValues(self.summary())]

    def on_enter(self) -> None:
        # Read aloud even with voice guidance off: the person confirms what they heard.
        parts = [self.ctx.tr("请确认"), *(f"{k}，{v}" for k, v in self.summary())]
        self.ctx.voice.say("；".join(parts))

    def choices(self) -> list[Option]:
        return [
            Option(
                N_("确认提交"),
                self._submit,
                enabled=not self.sending,
                reason=N_("正在提交"),
                confirm=True,
                name="submit",
            ),
            Option(N_("返回修改"), self.ctx.nav.back, "secondary", name="change"),
        ]

    def _submit(self) -> None:
        if self.sending:
            return
        d, identity = self.draft, self.ctx.session.identity
        assert identity is not None
        # Read on the UI thread: the task gets the values, never the draft itself.
        submit = partial(
            self.ctx.flows.applications.submit,
            item_id=d.item_id,
            identity=identity,
            form=d.form_body(),
            delivery=d.delivery or "counter",
            address=identity.address if d.delivery == "post" else None,
            consent=d.consent,
            key=d.key,
        )

        # Journal before the side effect; the key lets a retry replay, not duplicate.
        self.ctx.record("application_submit", {"item_id": d.item_id, "key": d.key})
        self.sending = True
        self.show_notice(self.ctx.tr("正在提交，请稍候……"), speak=False)
        self.ctx.tasks.run(submit, self._accepted, self._failed)

    def _accepted(self, result: ApplicationAccepted) -> None:
        self.sending = False
        self.ctx.record(
            "application_accepted",
            {"item_id": self.draft.item_id, "key": self.draft.key, "no": result.acceptance_no},
        )
        self.ctx.session.data.pop("draft", None)
        self.ctx.nav.replace("apply_slip", result=result)

    def _failed(self, exc: Exception) -> None:
        self.sending = False
        self.show_notice(self.ctx.error_message(exc), "error")


class ApplySlipScreen(Screen):
    """受理回执: the 受理编号 and the promised time, printed at once."""

    name = "apply_slip"
    title = N_("申请已受理")
    personal = True
    step = (STEPS, STEPS)
    preview: ClassVar[dict[str, Any]] = {"result": previews.SLIP}
    chrome_back = False

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.result: ApplicationAccepted = params["result"]
        self.printing = ReceiptPrinting(self)

    def _receipt(self) -> Receipt:
        return receipts.from_printable(
            self.result.printable,
            tr=self.ctx.tr,
            terminal=self.ctx.terminal.name,
            now=self.ctx.clock.local_now(),
        )

    def on_enter(self) -> None:
        keep_for_reprint(self, self.result.printable)
        if self.printing.done or self.printing.busy:
            return
        ok, why = self.ctx.devices.available("printer")
        if ok:
            self.printing.start(self._receipt())
        else:
            self.notice = notice(
                self.ctx.tr,
                self.ctx.tr.format(
                    "{why}。请记下受理编号，也可稍后在“打印”中补打回执", why=self.ctx.tr(why)
                ),
                "error",
            )

    def blocks(self) -> list[Block]:
        tr, r = self.ctx.tr, self.result
        return [
            Paragraph(
                tr.format("受理编号：{no}", no=" ".join(_chunks(r.acceptance_no))),
                bold=True,
                large=True,
            ),
            KeyValues(
                [
                    (tr("事项"), r.item_name),
                    (tr("状态"), r.status_text),
                    (tr("承诺时限"), tr.format("{n}个工作日", n=r.promised_days)),
                    (tr("预计办结"), r.due_date),
                ]
            ),
            Paragraph(tr("办理进度会以短信通知您，也可凭受理编号在本机查询")),
        ]

    def options(self) -> list[Option]:
        return [
            self.printing.option(self._receipt, N_("打印受理回执")),
            Option(N_("完成"), lambda: finish_service(self.ctx), confirm=True, name="done"),
        ]


def _chunks(number: str) -> list[str]:
    """``20261122000001`` → ``["20261122", "000001"]`` (easier to read and copy)."""
    return [number[:8], number[8:]] if len(number) > 8 else [number]

"""Step 4 of 缴费: the money moves. A QR on screen (native) or the person's
payment code scanned (micropay), followed until a final state, then the
receipt.

Everything timed happens in :meth:`tick` with the app's clock: the order
is created on the first tick, queried every 3 s (kiosk/flows/payment_order.py),
and a micropay still unpaid after ~45 s is reversed. Every step is journaled
by :class:`~kiosk.flows.payment_order.PaymentOrder` before it is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from kiosk import receipts
from kiosk.flows.payment_order import PaymentOrder
from kiosk.flows.payments import PaymentNotStarted, PaymentPlan
from kiosk.hub_client import HubUnavailable
from kiosk.hub_client.models import Order
from kiosk.i18n import N_
from kiosk.receipts import yuan
from kiosk.ui import Option, Screen, ScreenContext
from kiosk.ui.blocks import Block, KeyValues, Paragraph
from screens import previews
from screens.common import ReceiptPrinting, finish_service, keep_for_reprint
from screens.pay import STEPS
from screens.qr_block import QrBlock

if TYPE_CHECKING:
    from kiosk.receipts import Receipt


class PaymentScreen(Screen):
    """Shared by both ways to pay: one :class:`PaymentOrder` at a time."""

    method = "native"
    personal = True
    step = (4, STEPS)
    preview: ClassVar[dict[str, Any]] = {"pay": previews.PAY}

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.pay: PaymentPlan = params.get("pay") or ctx.session.data["pay"]
        self.flow: PaymentOrder | None = None
        self.busy = False
        self.start_requested = False
        self.auth_code: str | None = None
        self.outcome = ""  # a final message once the order ended unpaid
        self.left = False  # the person went elsewhere (Esc, 首页, timeout)

    # --- the flow --------------------------------------------------------------------------

    def _new_flow(self) -> PaymentOrder:
        return PaymentOrder(
            self.ctx.flows.payments,
            self.ctx.record,
            item=self.pay.item,
            payer_count=len(self.pay.payer_ids),
            method=self.method,
            identity=self.ctx.session.identity,
        )

    def on_enter(self) -> None:
        self.left = False

    def on_leave(self) -> None:
        """Leaving with an order open cancels it (micropay reverses, refunding a
        payment that slipped in; native closes or refunds), journaled first."""
        self.left = True
        flow = self.flow
        if flow is not None and flow.order_no and not flow.final and not flow.cancel_sent:
            self.ctx.tasks.run(flow.begin_cancel(flow.last_query_at), flow.apply, lambda exc: None)

    def tick(self, now: float) -> bool:
        flow = self.flow
        if flow is not None and flow.order_no and not flow.final:
            # The kiosk is working for the person while an order is open: no idle
            # timeout (the order's own limit, 45 s or 5 min, bounds the wait).
            self.ctx.session.last_activity = now
        if self.busy or self.left:
            return False
        if self.start_requested:
            self.start_requested = False
            self.flow = self._new_flow()
            self.outcome = ""
            work = self.flow.begin_create(list(self.pay.payer_ids), now, self.auth_code)
            self.auth_code = None  # the payment code is used once and not kept
            self._submit(work, self._create_failed)
            self.show_notice(self.ctx.tr("正在创建订单，请稍候……"), speak=False)
            return True
        if flow is None or flow.final or flow.order_no is None:
            return False
        if flow.over_limit(now) and not flow.cancel_sent:
            self._submit(flow.begin_cancel(now), self._query_failed)
            return True
        if flow.poll_due(now):
            self._submit(flow.begin_query(now), self._query_failed)
        return False

    def _submit(self, work: Callable[[], Order], on_error: Callable[[Exception], None]) -> None:
        self.busy = True
        self.ctx.tasks.run(work, self._answer, on_error)

    def _answer(self, order: Order) -> None:
        self.busy = False
        assert self.flow is not None
        before = self.flow.status
        self.flow.apply(order)
        if self.left:
            return  # another screen is showing; the journal has the state
        status = self.flow.status
        if status == "PAID":
            self.ctx.nav.replace("pay_done", order=order)
            return
        if self.flow.final:
            self.outcome = order.message or order.status_text or ""
            self.show_notice(self.ctx.tr(self.outcome), "error")
        elif self.flow.cancel_sent:
            self.show_notice(self.ctx.tr("订单已取消。如您已经付款，款项将原路退回"), "info")
        elif status != before:
            self.notice = None
            self.refresh()
            self.ctx.voice.announce(self)
        else:
            self.refresh()

    def _create_failed(self, exc: Exception) -> None:
        self.busy = False
        if isinstance(exc, HubUnavailable) and not isinstance(exc, PaymentNotStarted):
            # The create may have reached the hub: the journal keeps the key and
            # start-up recovery ends the order (kiosk.flows.payment_recovery).
            msg = self.ctx.tr(
                "支付结果暂时无法确认。请不要重复付款，系统将自动核实，如已扣款将原路退回"
            )
        else:
            # Nothing was charged: not started (the hub was down), refused in the
            # hub's words, or an error of our own.
            msg = self.ctx.error_message(exc)
            self.flow = None
        self.outcome = msg
        self.show_notice(msg, "error")

    def _query_failed(self, exc: Exception) -> None:
        # Unknown outcome: keep asking (every 3 s) — never guess (payments spec).
        self.busy = False
        self.show_notice(self.ctx.tr("正在确认支付结果，请稍候……"), speak=False)

    def _cancel(self) -> None:
        flow = self.flow
        if flow is None or flow.order_no is None or flow.final or self.busy:
            self.ctx.nav.back()
            return
        self._submit(flow.begin_cancel(flow.last_query_at), self._query_failed)
        self.show_notice(self.ctx.tr("正在取消订单，请稍候……"))

    def _retry(self) -> None:
        self.start_requested = True
        self.refresh()

    @property
    def ended(self) -> bool:
        """The attempt is over without payment (or never started)."""
        return bool(self.outcome) and (self.flow is None or self.flow.final)

    def amount_pairs(self) -> list[tuple[str, str]]:
        tr = self.ctx.tr
        return [
            (tr("缴费项目"), self.pay.item_name),
            (tr("应付金额"), yuan(self.pay.total_fen)),
        ]

    def ended_options(self) -> list[Option]:
        return [
            Option(N_("重新支付"), self._retry, name="retry"),
            Option(N_("返回"), self.ctx.nav.back, "secondary", name="leave"),
        ]


class PayQrScreen(PaymentScreen):
    name = "pay_qr"
    title = N_("请用手机扫码支付")
    instruction = N_("打开微信或支付宝“扫一扫”，扫描下方二维码完成支付")
    method = "native"

    def on_enter(self) -> None:
        super().on_enter()
        if self.flow is None and not self.outcome:
            self.start_requested = True

    def blocks(self) -> list[Block]:
        blocks: list[Block] = [KeyValues(self.amount_pairs())]
        flow = self.flow
        if flow is None or flow.final or flow.cancel_sent:
            return blocks
        view = flow.view
        if view is not None and view.qr_payload:
            blocks.append(
                QrBlock(view.qr_payload, self.ctx.tr("屏幕上显示了付款二维码"), size_mm=60)
            )
            until = view.pay_before
            blocks.append(
                Paragraph(self.ctx.tr.format("请在{time}前完成支付", time=until), muted=True)
            )
        return blocks

    def options(self) -> list[Option]:
        if self.ended:
            return self.ended_options()
        flow = self.flow
        opts: list[Option] = []
        if (
            self.ctx.terminal.demo
            and self.ctx.flows.hub_offer.sandbox_channel
            and flow is not None
            and flow.view is not None
            and flow.view.qr_payload
            and not flow.final
        ):
            opts.append(
                Option(N_("演示：模拟手机付款"), self._demo_pay, "secondary", name="demo_pay")
            )
        opts.append(Option(N_("取消支付"), self._cancel, "secondary", name="cancel"))
        return opts

    def _demo_pay(self) -> None:
        if self.flow is None or self.busy:
            return
        self.busy = True
        self.ctx.tasks.run(self.flow.begin_sandbox_pay(), self._demo_paid, self._query_failed)

    def _demo_paid(self, _: object) -> None:
        self.busy = False
        if self.flow is not None:
            self.flow.last_query_at = -1e9  # ask the hub at the next tick
        self.show_notice(self.ctx.tr("模拟手机已付款，正在确认……"), speak=False)


class PayScanScreen(PaymentScreen):
    name = "pay_scan"
    title = N_("请出示付款码")
    instruction = N_("打开微信或支付宝的“付款码”，对准下方扫码口")
    method = "micropay"

    def blocks(self) -> list[Block]:
        blocks: list[Block] = [KeyValues(self.amount_pairs())]
        if self.flow is None and not self.outcome:
            blocks.append(Paragraph(self.ctx.tr("正在等待扫码……"), bold=True))
            if self.ctx.terminal.demo:
                blocks.append(Paragraph(self.ctx.tr("演示：按F10扫描演示付款码"), muted=True))
        elif self.flow is not None and self.flow.status in ("PAYING", "UNKNOWN"):
            blocks.append(Paragraph(self.ctx.tr("请在手机上确认付款（如需输入密码）"), bold=True))
        return blocks

    def on_payment_code(self, code: object) -> bool:  # a scanner's PaymentCode, or its text
        if self.flow is not None and not self.flow.final:
            self.ctx.voice.say(self.ctx.tr("正在处理上一次付款，请稍候"))
            return True
        text = str(getattr(code, "code", code))
        self.auth_code = text
        self.outcome = ""
        self.flow = None
        self.start_requested = True
        self.ctx.voice.say(self.ctx.tr("已扫码，正在付款"))
        self.refresh()
        return True

    def options(self) -> list[Option]:
        if self.ended:
            return [
                Option(N_("重新扫码"), self._rescan, name="retry"),
                Option(N_("返回"), self.ctx.nav.back, "secondary", name="leave"),
            ]
        return [Option(N_("取消支付"), self._cancel, "secondary", name="cancel")]

    def _rescan(self) -> None:
        self.flow = None
        self.outcome = ""
        self.notice = None
        self.refresh()
        self.ctx.voice.announce(self)


class PayDoneScreen(Screen):
    """支付成功: the receipt prints by itself when the printer can; 完成 → rating."""

    name = "pay_done"
    title = N_("缴费成功")
    personal = True
    step = (4, STEPS)
    chrome_back = False
    preview: ClassVar[dict[str, Any]] = {"order": previews.ORDER}

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.order: Order = params["order"]
        self.printing = ReceiptPrinting(self)

    def _receipt(self) -> Receipt:
        printable = self.order.printable
        assert printable is not None  # a PAID order carries its 缴费凭证
        return receipts.from_printable(
            printable,
            tr=self.ctx.tr,
            terminal=self.ctx.terminal.name,
            now=self.ctx.clock.local_now(),
        )

    def on_enter(self) -> None:
        if self.order.printable is not None:
            keep_for_reprint(self, self.order.printable)
        ok, _ = self.ctx.devices.available("printer")
        if ok and not self.printing.done and not self.printing.busy:
            self.printing.start(self._receipt())
        elif not ok:
            self.show_notice(
                self.ctx.tr("打印机暂时无法打印，缴费凭证可稍后在“打印”中补打"), "info"
            )

    def blocks(self) -> list[Block]:
        tr = self.ctx.tr
        pairs = [(tr("订单号"), self.order.order_no), *self._payers()]
        pairs.append((tr("合计金额"), yuan(self.order.amount_fen)))
        return [Paragraph(tr("支付成功，谢谢！"), bold=True, large=True), KeyValues(pairs)]

    def _payers(self) -> list[tuple[str, str]]:
        return [
            (self.ctx.tr("缴费人"), f"{p.name_masked} {p.id_masked}") for p in self.order.payers
        ]

    def options(self) -> list[Option]:
        return [
            self.printing.option(self._receipt, N_("打印缴费凭证")),
            Option(N_("完成"), lambda: finish_service(self.ctx), confirm=True, name="done"),
        ]

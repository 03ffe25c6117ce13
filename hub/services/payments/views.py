"""What the payment API returns: orders, quotes, reconciliation results."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from hub.services.clock import from_db, local_text
from hub.services.payments.models import PaymentOrderRow
from hub.services.printable import Printable, lines, yuan
from protocol.i18n import N_

FINAL_STATUSES = frozenset({"PAID", "CLOSED", "REVOKED", "REFUNDED", "FAILED"})
OrderStatus = Literal[
    "CREATED", "PAYING", "UNKNOWN", "CANCELLING", "REFUNDING",
    "PAID", "CLOSED", "REVOKED", "REFUNDED", "FAILED",
]  # fmt: skip
STATUS_TEXT: dict[str, str] = {
    "CREATED": N_("正在创建订单"),
    "PAYING": N_("等待付款，请在手机上完成支付"),
    "UNKNOWN": N_("正在确认支付结果，请稍候"),
    "CANCELLING": N_("正在撤销订单"),
    "REFUNDING": N_("正在退款"),
    "PAID": N_("支付成功"),
    "CLOSED": N_("订单已关闭，未扣款"),
    "REVOKED": N_("订单已撤销，如已扣款将原路退回"),
    "REFUNDED": N_("已退款，款项将原路退回"),
    "FAILED": N_("支付未成功，未扣款"),
}


class PayerOut(BaseModel):
    person_ref: str
    name_masked: str
    id_masked: str
    amount_fen: int


class OrderOut(BaseModel):
    order_no: str
    item: str
    item_name: str
    method: Literal["native", "micropay"]
    amount_fen: int
    status: OrderStatus
    status_text: str
    final: bool
    qr_payload: str | None = Field(description="native, while waiting: encode this as the QR")
    payers: list[PayerOut]
    refunded_fen: int
    message: str | None = Field(description="why it failed, in Chinese, when it did")
    created_at: str
    pay_before: str = Field(description="after this the order is cancelled (CST)")
    printable: Printable | None = Field(description="the 缴费凭证, once PAID")


class QuotePerson(BaseModel):
    person_ref: str
    name_masked: str
    id_masked: str
    amount_fen: int
    payable: bool
    status_text: str


class QuoteOut(BaseModel):
    item: str
    item_name: str
    year: int
    persons: list[QuotePerson]
    total_fen: int


def order_view(row: PaymentOrderRow, item_name: str) -> OrderOut:
    """The API view of an order; a receipt only when it is paid."""
    status: OrderStatus = row.status  # type: ignore[assignment]
    method: Literal["native", "micropay"] = row.method  # type: ignore[assignment]
    printable = None
    if row.status == "PAID":
        printable = Printable(
            title=N_("缴费凭证"),
            lines=lines(
                (N_("缴费项目"), item_name),
                (N_("订单号"), row.order_no),
                *(
                    (N_("缴费人"), f"{p['name_masked']} {p['id_masked']} {yuan(p['amount_fen'])}")
                    for p in row.payers
                ),
                (N_("合计"), yuan(row.amount_fen)),
                (N_("支付方式"), N_("扫码支付") if row.method == "native" else N_("付款码支付")),
                (N_("支付时间"), local_text(row.paid_at) if row.paid_at else "-"),
            ),
            notes=[N_("缴费信息将同步至医保系统，可在自助终端查询")],
            issued_at=local_text(from_db(row.paid_at or row.updated_at)),
        )
    return OrderOut(
        order_no=row.order_no,
        item=row.item,
        item_name=item_name,
        method=method,
        amount_fen=row.amount_fen,
        status=status,
        status_text=STATUS_TEXT[row.status],
        final=row.status in FINAL_STATUSES,
        qr_payload=row.qr_payload if row.status == "PAYING" and row.method == "native" else None,
        payers=[PayerOut(**p) for p in row.payers],
        refunded_fen=row.refunded_fen,
        message=row.last_error if row.status == "FAILED" else None,
        created_at=local_text(row.created_at),
        pay_before=local_text(row.deadline_at),
        printable=printable,
    )

"""Alipay 当面付 as a :class:`~hub.services.payments.provider.PaymentProvider`.

The rules followed (Alipay OpenAPI, 当面付):

- ``alipay.trade.pay`` (付款码) answers 10000 paid, 10003 waiting for the
  customer's password, 20000 unknown (query), 40004 a business failure (a
  definite refusal, except ACQ.SYSTEM_ERROR: unknown); poll WAIT_BUYER_PAY
  every 3-6 s and cancel after about 60 s (:data:`RULES`); Alipay itself
  closes an unpaid bar-code order after 3 minutes.
- ``alipay.trade.precreate`` (扫码) makes only a QR: the trade exists at Alipay
  once the customer scans it, so a query's ACQ.TRADE_NOT_EXIST means "not paid
  (yet)", never "gone". The QR is made valid for the order's window
  (``qr_code_timeout_express``), so it cannot be paid after the hub gave up.
- ``alipay.trade.cancel`` (撤销) ends a trade in any state: an unpaid one is
  closed (action ``close``), a paid one refunded in full (``refund``), and an
  out_trade_no Alipay has not seen yet is blocked from being paid later, which
  is what makes cancelling a create whose answer was lost safe.
- Refunds are idempotent per ``out_request_no``; the bill (交易账单) is a zip of
  GBK CSV files fetched from the URL in the signed answer.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from hub.services.clock import CST
from hub.services.payments.alipay.client import AlipayClient
from hub.services.payments.provider import (
    BillRow,
    ChannelRules,
    ForgedMessage,
    Method,
    ProviderRejected,
    ProviderUnavailable,
    TradeEvent,
    TradeNotFound,
    TradeResult,
    TradeState,
)
from protocol.i18n import N_

RULES = ChannelRules(micropay_window=timedelta(seconds=60), native_window=timedelta(minutes=5))
QR_LIFE = "5m"  # = RULES.native_window: the QR cannot be paid after the hub closes the order
_BUSY = N_("支付系统繁忙，请稍候")
_DECLINES: dict[str, str] = {
    "ACQ.PAYMENT_AUTH_CODE_INVALID": N_("付款码无效，请刷新付款码后重新扫描"),
    "ACQ.BUYER_BALANCE_NOT_ENOUGH": N_("付款账户余额不足，请更换付款方式"),
    "ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH": N_("付款账户余额不足，请更换付款方式"),
    "ACQ.PAYMENT_FAIL": N_("支付未成功，请更换付款方式"),
    "ACQ.BUYER_PAYMENT_AMOUNT_DAY_LIMIT_ERROR": N_("付款金额超过当日限额，请更换付款方式"),
    "ACQ.TRADE_HAS_CLOSE": N_("订单已关闭，请重新下单"),
}
_STATES = {
    "WAIT_BUYER_PAY": TradeState.USERPAYING,
    "TRADE_SUCCESS": TradeState.SUCCESS,
    "TRADE_FINISHED": TradeState.SUCCESS,
    "TRADE_CLOSED": TradeState.CLOSED,
}


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def fen(amount: str) -> int:
    return int((Decimal(amount.strip()) * 100).to_integral_value())


class AlipayChannel:
    """Alipay for one application (see the module docstring)."""

    name = "alipay"
    rules = RULES

    def __init__(
        self, client: AlipayClient, *, store_id: str = "huimin", bill_hosts: list[str]
    ) -> None:
        self._client = client
        self._store_id = store_id
        self._bill_hosts = set(bill_hosts)

    # --- the provider interface ---

    def create(
        self,
        order_no: str,
        amount_fen: int,
        method: Method,
        description: str,
        auth_code: str | None = None,
    ) -> TradeResult:
        if method == "native":
            answer = self._client.precreate(
                out_trade_no=order_no,
                total_amount=yuan(amount_fen),
                subject=description,
                store_id=self._store_id,
                qr_code_timeout_express=QR_LIFE,
            )
            if answer.get("code") == "10000" and answer.get("qr_code"):
                return TradeResult(TradeState.NOTPAY, qr_payload=str(answer["qr_code"]))
            raise _error(answer)
        answer = self._client.pay(
            out_trade_no=order_no,
            auth_code=auth_code,
            subject=description,
            total_amount=yuan(amount_fen),
            store_id=self._store_id,
        )
        code, sub = answer.get("code"), answer.get("sub_code", "")
        if code == "10000" or sub == "ACQ.TRADE_HAS_SUCCESS":
            return TradeResult(TradeState.SUCCESS)
        if code == "10003":
            return TradeResult(TradeState.USERPAYING)
        if code == "40004" and sub in _DECLINES:
            raise ProviderRejected(_DECLINES[sub], code=sub)
        raise _error(answer)

    def query(self, order_no: str) -> TradeResult:
        answer = self._client.query(order_no)
        if answer.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            # Not scanned yet (precreate), or a pay that never arrived: unpaid for
            # now; the service cancels at the window's end, which blocks the number.
            return TradeResult(TradeState.NOTPAY)
        if answer.get("code") != "10000":
            raise _error(answer)
        state = _STATES.get(str(answer.get("trade_status")))
        if state is None:
            raise ProviderUnavailable(_BUSY, code="UNKNOWN_STATE")
        return TradeResult(state)

    def cancel(self, order_no: str) -> TradeResult:
        answer = self._client.cancel(order_no)
        if answer.get("code") != "10000" or answer.get("retry_flag") == "Y":
            raise _error(answer)
        if answer.get("action") == "refund":
            total = self._total(order_no)
            return TradeResult(TradeState.REVOKED, refunded_fen=total)
        return TradeResult(TradeState.CLOSED)

    def refund(self, order_no: str, refund_no: str, amount_fen: int) -> None:
        answer = self._client.refund(order_no, yuan(amount_fen), refund_no)
        if answer.get("code") == "10000":
            return
        raise _error(answer)

    def daily_bill(self, day: date) -> list[BillRow]:
        answer = self._client.bill_url(day.isoformat())
        if answer.get("code") != "10000":
            if answer.get("sub_code") == "isp.bill_not_exist":
                return []
            raise _error(answer)
        url = str(answer.get("bill_download_url", ""))
        if urlsplit(url).hostname not in self._bill_hosts:
            raise ForgedMessage(_BUSY, code="BILL_HOST")
        try:
            response = self._client.session.get(url, timeout=self._client.timeout_s)
        except requests.RequestException as exc:
            raise ProviderUnavailable(_BUSY, code="NETWORK") from exc
        if response.status_code != 200:
            raise ProviderUnavailable(_BUSY, code=f"HTTP{response.status_code}")
        return parse_bill(response.content)

    # --- notifications ---

    def notification(self, headers: dict[str, str], body: bytes) -> TradeEvent | None:
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if not self._client.verify_notification(form):
            raise ForgedMessage(_BUSY, code="BAD_SIGNATURE")
        if form.get("app_id") != self._client.app_id:
            raise ForgedMessage(_BUSY, code="WRONG_APP")
        state = _STATES.get(form.get("trade_status", ""))
        if state is None:
            return None
        if state == TradeState.CLOSED:
            # Closed by our cancel or refund, or by Alipay's own timeout: a query
            # tells which (a closed-after-refund trade reads TRADE_CLOSED too).
            return None
        return TradeEvent(
            order_no=form.get("out_trade_no", ""),
            amount_fen=fen(form.get("total_amount", "0")),
            result=TradeResult(state),
        )

    def notification_answer(self, accepted: bool) -> tuple[int, bytes, str]:
        # Alipay reads the body: "success" stops its retries (8 over 25 h), else it retries.
        return 200, b"success" if accepted else b"failure", "text/plain"

    # --- helpers ---

    def _total(self, order_no: str) -> int:
        answer = self._client.query(order_no)
        if answer.get("code") != "10000":
            raise _error(answer)
        return fen(str(answer.get("total_amount", "0")))


def _error(answer: dict[str, Any]) -> Exception:
    sub = str(answer.get("sub_code") or answer.get("code") or "")
    if sub == "ACQ.TRADE_NOT_EXIST":
        return TradeNotFound(N_("订单不存在"), code=sub)
    if answer.get("code") == "40004" and sub not in ("ACQ.SYSTEM_ERROR", ""):
        return ProviderRejected(str(answer.get("sub_msg") or _BUSY), code=sub)
    return ProviderUnavailable(_BUSY, code=sub or "UNKNOWN")


BILL_HEADER = "支付宝交易号"


def parse_bill(packed: bytes) -> list[BillRow]:
    """Read Alipay's trade bill: a zip whose 业务明细 CSV (GBK) has ``#`` comment
    lines around a header (支付宝交易号,商户订单号,业务类型,…) and one line per
    交易 or 退款 (refunds carry negative amounts)."""
    rows: list[BillRow] = []
    try:
        archive = zipfile.ZipFile(io.BytesIO(packed))
        names = [n for n in archive.namelist() if not n.endswith("(汇总).csv")]
        text = archive.read(names[0]).decode("gbk")
    except (zipfile.BadZipFile, IndexError, KeyError, UnicodeDecodeError) as exc:
        raise ProviderUnavailable(_BUSY, code="BILL_FORMAT") from exc
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    reader = csv.reader(lines)
    header = [h.strip() for h in next(reader, [])]
    if not header or header[0] != BILL_HEADER:
        raise ProviderUnavailable(_BUSY, code="BILL_FORMAT")
    col = {name: i for i, name in enumerate(header)}
    for line in reader:
        field = [v.strip() for v in line]
        at = datetime.strptime(field[col["完成时间"]], "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST)
        amount = fen(field[col["订单金额（元）"]])
        if field[col["业务类型"]] == "退款":
            rows.append(BillRow(field[col["商户订单号"]], "refund", abs(amount), at))
        else:
            rows.append(BillRow(field[col["商户订单号"]], "pay", amount, at))
    return rows

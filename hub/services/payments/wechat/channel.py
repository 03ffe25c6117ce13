"""WeChat Pay as a :class:`~hub.services.payments.provider.PaymentProvider`.

The rules followed (WeChat Pay API v3, 付款码支付 and Native 支付):

- 付款码 (codepay, the v3 endpoints launched in 2024): an answer of 202
  USERPAYING means the customer is entering the password; query about every
  5 s (queries closer together are answered from the last one); reverse when
  still unpaid after about 30 s, since WeChat Pay revokes unpaid codepay orders
  itself at 45 s (:data:`RULES`).
- Reverse (撤销) only after 15 s and within 7 days of the order; it is refused
  while USERPAYING (the refusal is a :class:`ProviderRejected`: the service
  retries on its next step, by when the customer paid or WeChat revoked).
  A reverse of a paid order gives the money back: ``refunded_fen``.
- Native: close (关单) an unpaid order (WeChat refuses orders younger than
  5 minutes); a paid order cannot be closed and is refunded by the caller.
- Every order ends SUCCESS, CLOSED, REVOKED or REFUND (a refunded SUCCESS).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import threading
from datetime import date, datetime, timedelta
from typing import Any

from hub.services.clock import CST, Clock
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
from hub.services.payments.wechat.client import Answer, WeChatPayClient
from protocol.i18n import N_

RULES = ChannelRules(micropay_window=timedelta(seconds=30), native_window=timedelta(minutes=5))
POLL_INTERVAL = timedelta(seconds=5)

# Definite refusals of a create: nothing was charged (WeChat Pay v3 error codes).
_DECLINES: dict[str, str] = {
    "NOT_ENOUGH": N_("付款账户余额不足，请更换付款方式"),
    "AUTH_CODE_INVALID": N_("付款码无效，请刷新付款码后重新扫描"),
    "AUTHCODEEXPIRE": N_("付款码已过期，请刷新付款码后重新扫描"),
    "PARAM_ERROR": N_("付款码无效，请刷新付款码后重新扫描"),
    "NOTSUPORTCARD": N_("不支持该付款卡，请更换付款方式"),
    "BUYER_MISMATCH": N_("支付账号有误，请更换付款方式"),
    "TRADE_ERROR": N_("交易被拒绝，请更换付款方式"),
}
_BUSY = N_("支付系统繁忙，请稍候")
_STATES = {
    "SUCCESS": TradeState.SUCCESS,
    "REFUND": TradeState.SUCCESS,  # paid, then (partly) refunded by us
    "NOTPAY": TradeState.NOTPAY,
    "USERPAYING": TradeState.USERPAYING,
    "CLOSED": TradeState.CLOSED,
    "REVOKED": TradeState.REVOKED,
    "PAYERROR": TradeState.PAYERROR,
}
BILL_HEADER = "交易时间"


class WeChatPayChannel:
    """WeChat Pay for one directly connected merchant (see the module docstring)."""

    name = "wechat"
    rules = RULES

    def __init__(self, client: WeChatPayClient, clock: Clock, *, store_id: str = "huimin") -> None:
        self._client = client
        self._clock = clock
        self._store_id = store_id
        self._polled: dict[str, tuple[datetime, TradeResult]] = {}
        self._lock = threading.Lock()

    # --- the provider interface ---

    def create(
        self,
        order_no: str,
        amount_fen: int,
        method: Method,
        description: str,
        auth_code: str | None = None,
    ) -> TradeResult:
        amount = {"total": amount_fen, "currency": "CNY"}
        if method == "native":
            answer = self._client.call(
                WeChatPayClient.sdk_pay,
                description=description,
                out_trade_no=order_no,
                amount=amount,
                pay_type=_native_type(),
            )
            if answer.status == 200 and answer.body.get("code_url"):
                return TradeResult(TradeState.NOTPAY, qr_payload=str(answer.body["code_url"]))
            raise self._error(answer)
        answer = self._client.call(
            WeChatPayClient.sdk_pay,
            description=description,
            out_trade_no=order_no,
            amount=amount,
            payer={"auth_code": auth_code},
            scene_info={"store_info": {"out_id": self._store_id}},
            pay_type=_codepay_type(),
        )
        if answer.status == 200:
            return self._result(answer.body)
        if answer.status == 202 or answer.code == "USERPAYING":
            return TradeResult(TradeState.USERPAYING)
        if answer.code in _DECLINES:
            raise ProviderRejected(_DECLINES[answer.code], code=answer.code)
        raise self._error(answer)

    def query(self, order_no: str) -> TradeResult:
        now = self._clock.now()
        with self._lock:
            polled = self._polled.get(order_no)
        if polled is not None and now - polled[0] < POLL_INTERVAL:
            return polled[1]
        result = self._result(self._query(order_no))
        with self._lock:
            if result.state in (TradeState.NOTPAY, TradeState.USERPAYING):
                self._polled[order_no] = (now, result)
            else:
                self._polled.pop(order_no, None)
        return result

    def cancel(self, order_no: str) -> TradeResult:
        self._forget(order_no)
        trade = self._query(order_no)
        state = trade.get("trade_state")
        if trade.get("trade_type") == "NATIVE":
            if state in ("SUCCESS", "REFUND"):
                return TradeResult(TradeState.SUCCESS)  # cannot close a paid order: refund
            if state == "NOTPAY":
                answer = self._client.call(WeChatPayClient.sdk_close, order_no)
                if answer.status != 204:
                    if answer.code in ("ORDERPAID", "ORDER_PAID"):
                        return TradeResult(TradeState.SUCCESS)
                    raise self._error(answer)
                return TradeResult(TradeState.CLOSED)
            return self._result(trade)
        if state in ("REVOKED", "CLOSED", "PAYERROR", "REFUND"):
            return self._result(trade)
        answer = self._client.call(WeChatPayClient.sdk_reverse, order_no)
        if answer.status != 200:
            raise self._error(answer)
        # The customer may have paid between the query and the reverse: ask what
        # the reverse did (a paid-then-revoked trade keeps its success_time).
        return self._result(self._query(order_no))

    def refund(self, order_no: str, refund_no: str, amount_fen: int) -> None:
        self._forget(order_no)
        trade = self._query(order_no)
        total = int(trade.get("amount", {}).get("total", 0))
        answer = self._client.call(
            WeChatPayClient.sdk_refund,
            out_refund_no=refund_no,
            amount={"refund": amount_fen, "total": total, "currency": "CNY"},
            out_trade_no=order_no,
        )
        if answer.status == 200 and answer.body.get("status") in ("SUCCESS", "PROCESSING"):
            return  # PROCESSING: WeChat Pay has taken it; the money goes back by itself
        raise self._error(answer)

    def daily_bill(self, day: date) -> list[BillRow]:
        answer = self._client.call(WeChatPayClient.sdk_trade_bill, day.isoformat())
        if answer.code == "NO_STATEMENT_EXIST":
            return []  # no trade that day
        url = answer.body.get("download_url")
        if answer.status != 200 or not isinstance(url, str):
            raise self._error(answer)
        packed = self._client.download(url)
        # The download is not signed: its hash comes in the signed answer above.
        expected = str(answer.body.get("hash_value", "")).lower()
        if hashlib.sha1(packed).hexdigest() != expected:
            raise ForgedMessage(_BUSY, code="BILL_HASH")
        return parse_bill(gzip.decompress(packed).decode("utf-8"))

    # --- notifications ---

    def notification(self, headers: dict[str, str], body: bytes) -> TradeEvent | None:
        envelope = self._client.notification(headers, body)
        if not str(envelope.get("event_type", "")).startswith("TRANSACTION."):
            return None  # e.g. REFUND.SUCCESS: our refunds are followed by their answers
        trade = envelope["resource"]
        if trade.get("mchid") != self._client.mchid or trade.get("appid") != self._client.appid:
            raise ForgedMessage(_BUSY, code="WRONG_MERCHANT")
        order_no = str(trade.get("out_trade_no", ""))
        self._forget(order_no)
        return TradeEvent(
            order_no=order_no,
            amount_fen=int(trade.get("amount", {}).get("total", 0)),
            result=self._result(trade),
        )

    def notification_answer(self, accepted: bool) -> tuple[int, bytes, str]:
        # v3: 200/204 without a body is success; anything else is retried by WeChat Pay
        # (15s/15s/30s/3m/10m/... over 24 h), with {"code": "FAIL"} as the documented body.
        if accepted:
            return 204, b"", "application/json"
        return 400, b'{"code":"FAIL","message":"FAIL"}', "application/json"

    # --- helpers ---

    def _query(self, order_no: str) -> dict[str, Any]:
        answer = self._client.call(WeChatPayClient.sdk_query, out_trade_no=order_no)
        if answer.status == 404 or answer.code in ("ORDER_NOT_EXIST", "ORDERNOTEXIST"):
            raise TradeNotFound(N_("订单不存在"), code="ORDER_NOT_EXIST")
        if answer.status != 200 or "trade_state" not in answer.body:
            raise self._error(answer)
        return answer.body

    def _forget(self, order_no: str) -> None:
        with self._lock:
            self._polled.pop(order_no, None)

    @staticmethod
    def _result(trade: dict[str, Any]) -> TradeResult:
        state = _STATES.get(str(trade.get("trade_state")))
        if state is None:
            raise ProviderUnavailable(_BUSY, code="UNKNOWN_STATE")
        refunded = 0
        if state == TradeState.REVOKED and trade.get("success_time"):
            # Paid, then reversed: the reverse gave the whole amount back.
            refunded = int(trade.get("amount", {}).get("total", 0))
        return TradeResult(state, refunded_fen=refunded)

    @staticmethod
    def _error(answer: Answer) -> Exception:
        if answer.status in (400, 403) and answer.code in (
            "INVALID_REQUEST",
            "USERPAYING",
            "ORDER_TOO_NEW",
            "NOT_ENOUGH",
            "ORDER_CLOSED",
        ):
            # Definite refusals of this call (too early to reverse/close, still paying,
            # merchant balance short for a refund): nothing happened; retried later.
            text = str(answer.body.get("message") or _BUSY)
            return ProviderRejected(text, code=answer.code)
        return ProviderUnavailable(_BUSY, code=answer.code or f"HTTP{answer.status}")


def _native_type() -> Any:
    from wechatpayv3.type import WeChatPayType  # type: ignore[import-untyped]

    return WeChatPayType.NATIVE


def _codepay_type() -> Any:
    from wechatpayv3.type import WeChatPayType

    return WeChatPayType.CODEPAY


def parse_bill(text: str) -> list[BillRow]:
    """Read WeChat Pay's trade bill (交易账单, bill_type=ALL): one CSV line per trade
    or refund, each field prefixed with a backtick, amounts in yuan; after the
    trades a summary header (总交易单数…) and its line."""
    rows: list[BillRow] = []
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header or header[0] != BILL_HEADER:
        raise ProviderUnavailable(_BUSY, code="BILL_FORMAT")
    col = {name: i for i, name in enumerate(header)}
    for line in reader:
        if not line or not line[0].startswith("`"):
            break  # the summary block
        field = [v.lstrip("`") for v in line]
        at = datetime.strptime(field[col["交易时间"]], "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST)
        order_no = field[col["商户订单号"]]
        if field[col["交易状态"]] == "REFUND":
            rows.append(BillRow(order_no, "refund", _fen(field[col["退款金额"]]), at))
        else:
            rows.append(BillRow(order_no, "pay", _fen(field[col["应结订单金额"]]), at))
    return rows


def _fen(yuan: str) -> int:
    whole, _, cents = yuan.partition(".")
    return int(whole) * 100 + int((cents + "00")[:2])

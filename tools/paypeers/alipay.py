"""An Alipay OpenAPI (当面付) emulator on 127.0.0.1, built from the published docs.

What it holds to, as Alipay does:

- requests are form posts to the gateway (``/gateway.do``) with app_id,
  method, charset, sign_type=RSA2, timestamp, version and biz_content, signed
  with the application's key over every parameter but ``sign``, sorted by
  name and joined as ``k=v`` with ``&``; a bad signature is answered
  ``error_response`` 40002 isv.invalid-signature;
- every answer is ``{"<method>_response": {...}, "sign": "..."}`` signed with
  Alipay's key over the exact text of the response object;
- ``alipay.trade.pay``: 10000 paid, 10003 waiting for the password, 40004
  business failures; unpaid bar-code orders are closed by Alipay after 3
  minutes (:data:`AUTO_CLOSE`);
- ``alipay.trade.precreate`` makes a QR only: the trade exists once scanned
  (queries before are ACQ.TRADE_NOT_EXIST); the QR expires after its
  ``qr_code_timeout_express``;
- ``alipay.trade.cancel`` closes an unpaid trade (action close), refunds a
  paid one (action refund), and blocks an out_trade_no it has not seen yet;
  it is idempotent;
- refunds idempotent per out_request_no; notifications (TRADE_SUCCESS,
  TRADE_CLOSED) are form posts signed over every field but sign and sign_type;
  the trade bill of a past day is a zip of GBK CSV files at a token URL.

Faults as in :mod:`tools.paypeers.common`: error_rate answers 20000
ACQ.SYSTEM_ERROR before acting; drop_rate acts and closes the connection.
"""

from __future__ import annotations

import base64
import io
import json
import random
import re
import secrets
import socket
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tools.paypeers.common import (
    Customer,
    Faults,
    LoopbackServer,
    Notification,
    pem_private,
    pem_public,
    post_notification,
    sign_sha256_rsa,
)

CST = timezone(timedelta(hours=8), "CST")
AUTO_CLOSE = timedelta(minutes=3)  # unpaid bar-code orders
_CODE = re.compile(r"^(2[5-9]|30)\d{14,22}$")  # Alipay 付款码
_EXPRESS = re.compile(r"^(\d+)([mhd])$")
BILL_COLUMNS = [
    "支付宝交易号",
    "商户订单号",
    "业务类型",
    "商品名称",
    "创建时间",
    "完成时间",
    "门店编号",
    "门店名称",
    "操作员",
    "终端号",
    "对方账户",
    "订单金额（元）",
    "商家实收（元）",
    "支付宝红包（元）",
    "集分宝（元）",
    "支付宝优惠（元）",
    "商家优惠（元）",
    "券核销金额（元）",
    "券名称",
    "商家红包消费金额（元）",
    "卡消费金额（元）",
    "退款批次号/请求号",
    "服务费（元）",
    "分润（元）",
    "备注",
]


@dataclass(frozen=True)
class Application:
    """The application's credentials as the open platform makes them."""

    app_id: str
    app_private_key_pem: str


def demo_customer(kind: str, auth_code: str | None) -> Customer:
    if kind == "QR":
        return Customer(pay_after_s=None)
    if auth_code is not None and auth_code.endswith("0000"):
        return Customer(decline="ACQ.BUYER_BALANCE_NOT_ENOUGH")
    return Customer(pay_after_s=4.0)


@dataclass
class _QR:
    out_trade_no: str
    total: int
    subject: str
    created: datetime
    expires: datetime
    notify_url: str | None
    customer: Customer


@dataclass
class _Trade:
    out_trade_no: str
    kind: str  # BAR | QR
    total: int
    subject: str
    created: datetime
    customer: Customer
    notify_url: str | None
    state: str = "WAIT_BUYER_PAY"
    closes_at: datetime | None = None
    trade_no: str = field(default_factory=lambda: "2026" + secrets.token_hex(12)[:24])
    paid_at: datetime | None = None
    charges: int = 0
    refunds: dict[str, int] = field(default_factory=dict)
    cancel_action: str | None = None


@dataclass(frozen=True)
class _BillLine:
    at: datetime
    trade: _Trade
    refund: bool
    amount: int
    request_no: str = ""


class _Answer(Exception):
    """A business answer other than success, raised from deep inside."""

    def __init__(self, code: str, msg: str, sub_code: str, sub_msg: str) -> None:
        super().__init__(sub_msg)
        self.body = {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}


def _fail(sub_code: str, sub_msg: str) -> _Answer:
    return _Answer("40004", "Business Failed", sub_code, sub_msg)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _fen(amount: Any) -> int:
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise _Answer(
            "40002", "Invalid Arguments", "isv.invalid-parameter", "金额格式错误"
        ) from None
    if value <= 0 or value != value.quantize(Decimal("0.01")):
        raise _Answer("40002", "Invalid Arguments", "isv.invalid-parameter", "金额格式错误")
    return int(value * 100)


class AlipayEmulator(LoopbackServer):
    """The emulator; :meth:`start` serves it on 127.0.0.1 (a free port)."""

    thread_name = "alipay-emulator"

    def __init__(
        self,
        now: Callable[[], datetime] | None = None,
        *,
        customer_for: Callable[[str, str | None], Customer] = demo_customer,
        faults: Faults | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__()
        self._now = now or (lambda: datetime.now(UTC))
        self.customer_for = customer_for
        self.faults = faults or Faults()
        self._rng = rng or random.Random()
        self._alipay_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._forger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        app_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.application = Application(
            app_id="2021" + f"{self._rng.randrange(10**12):012d}",
            app_private_key_pem=pem_private(app_key),
        )
        self._app_public = app_key.public_key()
        self._qrs: dict[str, _QR] = {}
        self._trades: dict[str, _Trade] = {}
        self._blocked: set[str] = set()
        self._bill: list[_BillLine] = []
        self._bills: dict[str, bytes] = {}
        self._outbox: list[Notification] = []
        self._lock = threading.RLock()
        self.requests_refused = 0
        self.notifications_sent = 0
        self.calls: Counter[str] = Counter()

    # --- serving ---

    @property
    def alipay_public_key_pem(self) -> str:
        return pem_public(self._alipay_key.public_key())

    @property
    def gateway(self) -> str:
        return self.url + "/gateway.do"

    def request_handler(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    # --- the customer's phone, and what tests inspect ---

    def pay(self, out_trade_no: str) -> str:
        """The customer scans the QR (or has entered the password) and pays now; the
        trade status after ("TRADE_NOT_EXIST" when the QR can no longer be paid)."""
        with self._lock:
            trade = self._trades.get(out_trade_no) or self._scan(out_trade_no, self._now())
            if trade is None:
                return "TRADE_NOT_EXIST"
            self._progress(trade)
            if trade.state == "WAIT_BUYER_PAY":
                self._charge(trade, self._now())
            return trade.state

    def charges(self, out_trade_no: str) -> int:
        with self._lock:
            trade = self._trades.get(out_trade_no)
            return trade.charges if trade else 0

    def net_fen(self, out_trade_no: str) -> int:
        with self._lock:
            trade = self._trades.get(out_trade_no)
            if trade is None:
                return 0
            return trade.charges * trade.total - sum(trade.refunds.values())

    def trade_status(self, out_trade_no: str) -> str | None:
        with self._lock:
            trade = self._find(out_trade_no)
            return trade.state if trade else None

    def pending_notifications(self) -> int:
        with self._lock:
            return len(self._outbox)

    def deliver_notifications(
        self, send: Callable[[Notification], int] | None = None
    ) -> list[tuple[Notification, int]]:
        """POST every pending notification; those not answered ``success`` stay
        pending (Alipay retries 8 times over 25 h)."""
        with self._lock:
            batch, self._outbox = self._outbox, []
        if self.faults.notify_shuffle:
            self._rng.shuffle(batch)
        poster = send or post_notification
        done: list[tuple[Notification, int]] = []
        retry: list[Notification] = []
        for note in batch:
            copies = 2 if self._rng.random() < self.faults.notify_duplicate_rate else 1
            for _ in range(copies):
                try:
                    status = poster(note)
                except requests.RequestException:
                    status = 0
                done.append((note, status))
                self.notifications_sent += 1
            if status != 200 and not note.forged:
                retry.append(note)
        with self._lock:
            self._outbox[:0] = retry
        return done

    def forged_notification(self, out_trade_no: str, url: str) -> Notification:
        """A TRADE_SUCCESS for ``out_trade_no`` signed with a key that is not Alipay's."""
        with self._lock:
            trade = self._find(out_trade_no)
            total = trade.total if trade else self._qrs[out_trade_no].total
            fields = {
                "notify_type": "trade_status_sync",
                "app_id": self.application.app_id,
                "out_trade_no": out_trade_no,
                "trade_status": "TRADE_SUCCESS",
                "total_amount": _yuan(total),
            }
            return self._notification(url, fields, forged=True)

    # --- the API ---

    def handle(self, body: bytes) -> tuple[int, bytes, str]:
        """One gateway request: (HTTP status, answer text, fault "" | "drop")."""
        params = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        method = params.get("method", "")
        response_type = method.replace(".", "_") + "_response"
        problem = self._check(params)
        if problem is not None:
            self.requests_refused += 1
            return 200, self._signed("error_response", problem), ""
        self.calls[method] += 1
        if self._rng.random() < self.faults.error_rate:
            unknown = {
                "code": "20000",
                "msg": "Service Currently Unavailable",
                "sub_code": "ACQ.SYSTEM_ERROR",
                "sub_msg": "系统繁忙",
            }
            return 200, self._signed(response_type, unknown), ""
        try:
            biz = json.loads(params.get("biz_content") or "{}")
        except ValueError:
            biz = None
        with self._lock:
            try:
                if not isinstance(biz, dict):
                    raise _Answer(
                        "40002", "Invalid Arguments", "isv.invalid-parameter", "biz_content"
                    )
                answer = self._route(method, biz, params.get("notify_url"))
            except _Answer as refusal:
                answer = refusal.body
        fault = "drop" if self._rng.random() < self.faults.drop_rate else ""
        return 200, self._signed(response_type, answer), fault

    def bill_file(self, token: str) -> bytes | None:
        with self._lock:
            return self._bills.get(token)

    # --- internals (lock held from here on) ---

    def _check(self, params: dict[str, str]) -> dict[str, str] | None:
        def invalid(sub_code: str, sub_msg: str) -> dict[str, str]:
            return {
                "code": "40002",
                "msg": "Invalid Arguments",
                "sub_code": sub_code,
                "sub_msg": sub_msg,
            }

        if params.get("app_id") != self.application.app_id:
            return invalid("isv.invalid-app-id", "无效的AppID参数")
        if params.get("sign_type") != "RSA2" or params.get("charset", "").lower() != "utf-8":
            return invalid("isv.invalid-signature-type", "无效的签名类型")
        signature = params.pop("sign", "")
        content = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
        try:
            self._app_public.verify(
                base64.b64decode(signature), content.encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except (InvalidSignature, ValueError):
            return invalid("isv.invalid-signature", "验签出错")
        return None

    def _route(self, method: str, biz: dict[str, Any], notify_url: str | None) -> dict[str, Any]:
        if method == "alipay.trade.pay":
            return self._pay(biz, notify_url)
        if method == "alipay.trade.precreate":
            return self._precreate(biz, notify_url)
        no = str(biz.get("out_trade_no", ""))
        if method == "alipay.trade.query":
            trade = self._find(no)
            if trade is None:
                raise _fail("ACQ.TRADE_NOT_EXIST", "交易不存在")
            return self._trade_answer(trade)
        if method == "alipay.trade.cancel":
            return self._cancel(no)
        if method == "alipay.trade.refund":
            return self._refund(no, biz)
        if method == "alipay.data.dataservice.bill.downloadurl.query":
            return self._bill_url(biz)
        raise _Answer("40004", "Business Failed", "isv.invalid-method", "不存在的方法名")

    def _pay(self, biz: dict[str, Any], notify_url: str | None) -> dict[str, Any]:
        no = str(biz.get("out_trade_no", ""))
        total = _fen(biz.get("total_amount"))
        if biz.get("scene") != "bar_code" or not biz.get("subject") or not no:
            raise _Answer("40002", "Invalid Arguments", "isv.missing-parameter", "缺少参数")
        if no in self._blocked:
            raise _fail("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
        existing = self._find(no)
        if existing is not None:
            if existing.total != total:
                raise _fail("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
            return self._pay_answer(existing)
        auth_code = biz.get("auth_code")
        if not isinstance(auth_code, str) or not _CODE.match(auth_code):
            raise _fail("ACQ.PAYMENT_AUTH_CODE_INVALID", "支付失败，获取顾客账户信息失败")
        now = self._now()
        customer = self.customer_for("BAR", auth_code)
        trade = _Trade(
            no,
            "BAR",
            total,
            str(biz["subject"]),
            now,
            customer,
            notify_url,
            closes_at=now + AUTO_CLOSE,
        )
        self._trades[no] = trade
        if customer.decline:
            trade.state = "TRADE_CLOSED"
            raise _fail(customer.decline, "买家余额不足")
        if customer.pay_after_s is not None and customer.pay_after_s <= 0:
            self._charge(trade, now)
        return self._pay_answer(trade)

    def _pay_answer(self, trade: _Trade) -> dict[str, Any]:
        self._progress(trade)
        if trade.state in ("TRADE_SUCCESS", "TRADE_FINISHED"):
            return {"code": "10000", "msg": "Success"} | self._trade_fields(trade)
        if trade.state == "WAIT_BUYER_PAY":
            return {
                "code": "10003",
                "msg": " order success pay inprocess",
                "out_trade_no": trade.out_trade_no,
                "trade_no": trade.trade_no,
            }
        raise _fail("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")

    def _precreate(self, biz: dict[str, Any], notify_url: str | None) -> dict[str, Any]:
        no = str(biz.get("out_trade_no", ""))
        total = _fen(biz.get("total_amount"))
        if not no or not biz.get("subject"):
            raise _Answer("40002", "Invalid Arguments", "isv.missing-parameter", "缺少参数")
        if no in self._blocked or self._trades.get(no) is not None:
            raise _fail("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
        qr = self._qrs.get(no)
        if qr is None:
            express = _EXPRESS.match(str(biz.get("qr_code_timeout_express", "2h")))
            if express is None:
                raise _Answer("40002", "Invalid Arguments", "isv.invalid-parameter", "超时时间")
            unit = {"m": 60, "h": 3600, "d": 86400}[express.group(2)]
            now = self._now()
            qr = _QR(
                no,
                total,
                str(biz["subject"]),
                now,
                now + timedelta(seconds=int(express.group(1)) * unit),
                notify_url,
                self.customer_for("QR", None),
            )
            self._qrs[no] = qr
        elif qr.total != total:
            raise _fail("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
        token = base64.b32encode(no.encode()).decode().rstrip("=").lower()[:24]
        return {
            "code": "10000",
            "msg": "Success",
            "out_trade_no": no,
            "qr_code": f"https://qr.alipay.com/bax{token}",
        }

    def _cancel(self, no: str) -> dict[str, Any]:
        trade = self._find(no)
        if trade is None:
            qr = self._qrs.get(no)
            if qr is not None and qr.customer.pay_on_cancel and self._now() < qr.expires:
                trade = self._scan(no, self._now())
                assert trade is not None
                self._charge(trade, self._now())
            else:
                self._blocked.add(no)  # never seen (or never scanned): can no longer be paid
                return {"code": "10000", "msg": "Success", "out_trade_no": no, "retry_flag": "N"}
        if trade.cancel_action is None:
            if trade.customer.pay_on_cancel and trade.state == "WAIT_BUYER_PAY":
                self._charge(trade, self._now())
            if trade.state in ("TRADE_SUCCESS", "TRADE_FINISHED"):
                left = trade.total - sum(trade.refunds.values())
                self._refund_money(trade, f"{no}-CANCEL", left)
                trade.cancel_action = "refund"
            else:
                trade.cancel_action = "close"
            if trade.state != "TRADE_CLOSED":
                trade.state = "TRADE_CLOSED"
                self._notify(trade)
            self._blocked.add(no)
        return {
            "code": "10000",
            "msg": "Success",
            "out_trade_no": no,
            "trade_no": trade.trade_no,
            "retry_flag": "N",
            "action": trade.cancel_action,
        }

    def _refund(self, no: str, biz: dict[str, Any]) -> dict[str, Any]:
        trade = self._find(no)
        if trade is None:
            raise _fail("ACQ.TRADE_NOT_EXIST", "交易不存在")
        amount = _fen(biz.get("refund_amount"))
        request_no = str(biz.get("out_request_no") or no)
        if request_no in trade.refunds:
            if trade.refunds[request_no] != amount:
                raise _fail("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额与原请求不一致")
            return self._refund_answer(trade, "N")
        if trade.charges == 0 or trade.state == "WAIT_BUYER_PAY":
            raise _fail("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        if sum(trade.refunds.values()) + amount > trade.total:
            raise _fail("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超过可退金额")
        self._refund_money(trade, request_no, amount)
        if sum(trade.refunds.values()) == trade.total:
            trade.state = "TRADE_CLOSED"
            self._notify(trade)
        return self._refund_answer(trade, "Y")

    def _refund_answer(self, trade: _Trade, fund_change: str) -> dict[str, Any]:
        return {
            "code": "10000",
            "msg": "Success",
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "fund_change": fund_change,
            "refund_fee": _yuan(sum(trade.refunds.values())),
        }

    def _bill_url(self, biz: dict[str, Any]) -> dict[str, Any]:
        try:
            day = date.fromisoformat(str(biz.get("bill_date", "")))
        except ValueError:
            raise _Answer(
                "40002", "Invalid Arguments", "isv.invalid-parameter", "账单日期"
            ) from None
        if biz.get("bill_type") != "trade":
            raise _Answer("40002", "Invalid Arguments", "isv.invalid-parameter", "账单类型")
        if day >= self._now().astimezone(CST).date():
            raise _fail("isp.bill_not_ready", "账单尚未生成")
        lines = [b for b in self._bill if b.at.astimezone(CST).date() == day]
        if not lines:
            raise _fail("isp.bill_not_exist", "账单不存在")
        token = secrets.token_urlsafe(12)
        self._bills[token] = self._bill_zip(day, lines)
        return {
            "code": "10000",
            "msg": "Success",
            "bill_download_url": f"{self.url}/bill/download?{urlencode({'token': token})}",
        }

    def _bill_zip(self, day: date, lines: list[_BillLine]) -> bytes:
        def when(at: datetime) -> str:
            return at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S")

        out = [
            "#支付宝业务明细查询",
            f"#账号：[{self.application.app_id}]",
            f"#起始日期：[{day:%Y年%m月%d日} 00:00:00]   终止日期：[{day:%Y年%m月%d日} 23:59:59]",
            "#-----------------------------------------业务明细列表----------------------------------------",
            ",".join(BILL_COLUMNS),
        ]
        for b in sorted(lines, key=lambda b: b.at):
            row = dict.fromkeys(BILL_COLUMNS, "")
            sign = "-" if b.refund else ""
            row |= {
                "支付宝交易号": b.trade.trade_no + "\t",
                "商户订单号": b.trade.out_trade_no + "\t",
                "业务类型": "退款" if b.refund else "交易",
                "商品名称": b.trade.subject,
                "创建时间": when(b.trade.created),
                "完成时间": when(b.at),
                "门店编号": "huimin",
                "订单金额（元）": sign + _yuan(b.amount),
                "商家实收（元）": sign + _yuan(b.amount),
                "退款批次号/请求号": b.request_no,
                "服务费（元）": "0.00",
            }
            out.append(",".join(row[c] for c in BILL_COLUMNS))
        out.append(
            "#-----------------------------------------业务明细列表结束------------------------------------"
        )
        out.append(f"#交易合计：{sum(1 for b in lines if not b.refund)}笔")
        out.append(f"#退款合计：{sum(1 for b in lines if b.refund)}笔")
        out.append(f"#导出时间：[{when(self._now())}]")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            stem = f"{self.application.app_id}_{day:%Y%m%d}"
            archive.writestr(f"{stem}_业务明细.csv", "\n".join(out).encode("gbk"))
            archive.writestr(f"{stem}_业务明细(汇总).csv", "#汇总\n".encode("gbk"))
        return buffer.getvalue()

    def _find(self, no: str) -> _Trade | None:
        trade = self._trades.get(no)
        if trade is None:
            qr = self._qrs.get(no)
            after = qr.customer.pay_after_s if qr is not None else None
            if qr is not None and after is not None and no not in self._blocked:
                at = qr.created + timedelta(seconds=after)
                if at <= self._now() and at < qr.expires:
                    trade = self._scan(no, at)
                    if trade is not None:
                        self._charge(trade, at)
        if trade is not None:
            self._progress(trade)
        return trade

    def _scan(self, no: str, at: datetime) -> _Trade | None:
        """The customer scans the QR at ``at``: the trade comes into being."""
        qr = self._qrs.get(no)
        if qr is None or no in self._blocked or at >= qr.expires or no in self._trades:
            return self._trades.get(no)
        trade = _Trade(
            no, "QR", qr.total, qr.subject, at, qr.customer, qr.notify_url, closes_at=qr.expires
        )
        self._trades[no] = trade
        return trade

    def _progress(self, trade: _Trade) -> None:
        now = self._now()
        after = trade.customer.pay_after_s
        if trade.state == "WAIT_BUYER_PAY" and after is not None and trade.kind == "BAR":
            at = trade.created + timedelta(seconds=after)
            if at <= now and (trade.closes_at is None or at < trade.closes_at):
                self._charge(trade, at)
        closes = trade.closes_at
        if trade.state == "WAIT_BUYER_PAY" and closes is not None and now >= closes:
            trade.state = "TRADE_CLOSED"
            self._notify(trade)

    def _charge(self, trade: _Trade, at: datetime) -> None:
        trade.state = "TRADE_SUCCESS"
        trade.charges += 1
        trade.paid_at = at
        self._bill.append(_BillLine(at, trade, False, trade.total))
        self._notify(trade)

    def _refund_money(self, trade: _Trade, request_no: str, amount: int) -> None:
        trade.refunds[request_no] = amount
        self._bill.append(_BillLine(self._now(), trade, True, amount, request_no))

    def _trade_fields(self, trade: _Trade) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "total_amount": _yuan(trade.total),
        }
        if trade.paid_at is not None:
            fields |= {
                "buyer_logon_id": "159****5620",
                "buyer_pay_amount": _yuan(trade.total),
                "receipt_amount": _yuan(trade.total),
                "send_pay_date": trade.paid_at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S"),
            }
        return fields

    def _trade_answer(self, trade: _Trade) -> dict[str, Any]:
        return {"code": "10000", "msg": "Success", "trade_status": trade.state} | (
            self._trade_fields(trade)
        )

    def _notify(self, trade: _Trade) -> None:
        if not trade.notify_url:
            return
        fields = {
            "notify_type": "trade_status_sync",
            "notify_id": secrets.token_hex(16),
            "notify_time": self._now().astimezone(CST).strftime("%Y-%m-%d %H:%M:%S"),
            "charset": "utf-8",
            "version": "1.0",
            "app_id": self.application.app_id,
            "auth_app_id": self.application.app_id,
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "trade_status": trade.state,
            "total_amount": _yuan(trade.total),
            "subject": trade.subject,
            "gmt_create": trade.created.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S"),
        }
        if trade.paid_at is not None:
            fields["gmt_payment"] = trade.paid_at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S")
        if trade.refunds:
            fields["refund_fee"] = _yuan(sum(trade.refunds.values()))
        self._outbox.append(self._notification(trade.notify_url, fields))

    def _notification(
        self, url: str, fields: dict[str, str], *, forged: bool = False
    ) -> Notification:
        forged = forged or self._rng.random() < self.faults.notify_forge_rate
        content = "&".join(f"{k}={v}" for k, v in sorted(fields.items()))
        key = self._forger_key if forged else self._alipay_key
        signed = fields | {"sign_type": "RSA2", "sign": sign_sha256_rsa(key, content)}
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        return Notification(
            url, headers, urlencode(signed).encode(), fields.get("trade_status", ""), forged
        )

    def _signed(self, response_type: str, answer: dict[str, Any]) -> bytes:
        content = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
        forged = self._rng.random() < self.faults.forge_rate
        key = self._forger_key if forged else self._alipay_key
        signature = sign_sha256_rsa(key, content)
        return f'{{"{response_type}":{content},"sign":"{signature}"}}'.encode()


class _Handler(BaseHTTPRequestHandler):
    emulator: AlipayEmulator
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without TCP_NODELAY, Nagle's
        # algorithm holds the body for the client's delayed ACK (40 ms a call).
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _answer(self, status: int, payload: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        token = dict(parse_qsl(parts.query)).get("token", "")
        packed = self.emulator.bill_file(token) if parts.path == "/bill/download" else None
        if packed is None:
            self._answer(404, b"not found", "text/plain")
        else:
            self._answer(200, packed, "application/zip")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if urlsplit(self.path).path != "/gateway.do":
            self._answer(404, b"not found", "text/plain")
            return
        status, payload, fault = self.emulator.handle(body)
        if self.emulator.faults.stall_s:
            time.sleep(self.emulator.faults.stall_s)
        if fault == "drop":
            self.close_connection = True
            return
        self._answer(status, payload, "text/html;charset=utf-8")

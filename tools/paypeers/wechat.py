"""A WeChat Pay API v3 emulator on 127.0.0.1, built from the published API docs.

What it holds to, as WeChat Pay does:

- every request carries ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,
  nonce_str=…,timestamp=…,serial_no=…,signature=…`` signing
  ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n`` with the merchant's key;
  a bad signature, an unknown serial, a stale timestamp (> 5 min) or a replayed
  nonce is answered 401 SIGN_ERROR;
- every answer (2xx and 4xx) is signed with the platform key, named by
  ``Wechatpay-Serial`` (the 微信支付公钥 id);
- 付款码 (codepay): 202 USERPAYING while the customer enters the password;
  unpaid codepay orders are revoked by WeChat Pay itself 45 s after the order
  (:data:`AUTO_REVOKE`); reverse is refused before 15 s, after 7 days and while
  USERPAYING, and gives the money back when the order was paid;
- Native: a code_url; close refused for an order younger than 5 minutes or paid;
  payment notifications (TRANSACTION.SUCCESS) POSTed to notify_url, the
  resource encrypted with AEAD_AES_256_GCM under the APIv3 key, signed; refunds
  notify REFUND.SUCCESS when the refund named a notify_url;
- refunds idempotent per out_refund_no; the daily trade bill (交易账单, gzip,
  SHA1 hash in the signed answer) for days before today.

Time is protocol time from an injectable ``now`` (tests run minutes in
milliseconds); signatures' timestamps are wall-clock, as on the wire. Faults
on demand: 5xx before acting, the connection dropped after acting (the answer
lost, as on a timeout), a real stall, forged answer signatures; notifications
duplicated, shuffled out of order or forged.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import random
import re
import secrets
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

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
AUTO_REVOKE = timedelta(seconds=45)  # unpaid codepay orders are revoked by WeChat Pay
REVERSE_MIN_AGE = timedelta(seconds=15)
REVERSE_MAX_AGE = timedelta(days=7)
CLOSE_MIN_AGE = timedelta(minutes=5)
MAX_SKEW_S = 300
_AUTH = re.compile(r'(\w+)="([^"]*)"')
_CODE = re.compile(r"^1[0-5]\d{16}$")  # WeChat 付款码: 18 digits starting 10–15
BILL_COLUMNS = [
    "交易时间",
    "公众账号ID",
    "商户号",
    "特约商户号",
    "设备号",
    "微信订单号",
    "商户订单号",
    "用户标识",
    "交易类型",
    "交易状态",
    "付款银行",
    "货币种类",
    "应结订单金额",
    "代金券金额",
    "微信退款单号",
    "商户退款单号",
    "退款金额",
    "充值券退款金额",
    "退款类型",
    "退款状态",
    "商品名称",
    "商户数据包",
    "手续费",
    "费率",
    "订单金额",
    "申请退款金额",
    "费率备注",
]


@dataclass(frozen=True)
class Merchant:
    """A merchant's credentials, made by the emulator (as the merchant platform
    makes them): the hub is configured with these."""

    mchid: str
    appid: str
    cert_serial_no: str
    private_key_pem: str
    apiv3_key: str


def demo_customer(kind: str, auth_code: str | None) -> Customer:
    """Native QRs wait for :meth:`WeChatPayEmulator.pay`; codes ending 0000 lack funds."""
    if kind == "NATIVE":
        return Customer(pay_after_s=None)
    if auth_code is not None and auth_code.endswith("0000"):
        return Customer(decline="NOT_ENOUGH")
    return Customer(pay_after_s=4.0)


@dataclass
class _Trade:
    out_trade_no: str
    kind: str  # MICROPAY | NATIVE
    total: int
    description: str
    created: datetime
    customer: Customer
    state: str
    notify_url: str | None
    transaction_id: str = field(default_factory=lambda: "42" + secrets.token_hex(14)[:26])
    success_time: datetime | None = None
    charges: int = 0
    refunds: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _BillLine:
    at: datetime
    trade: str
    transaction_id: str
    kind: str  # MICROPAY | NATIVE
    state: str  # SUCCESS | REFUND
    amount: int
    refund_no: str = ""


class _Refusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class WeChatPayEmulator(LoopbackServer):
    """The emulator; :meth:`start` serves it on 127.0.0.1 (a free port)."""

    thread_name = "wechatpay-emulator"

    def __init__(
        self,
        now: Callable[[], datetime] | None = None,
        *,
        customer_for: Callable[[str, str | None], Customer] = demo_customer,
        faults: Faults | None = None,
        rng: random.Random | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self._now = now or (lambda: datetime.now(UTC))
        self.customer_for = customer_for
        self.faults = faults or Faults()
        self._rng = rng or random.Random()
        self._wall = wall_clock
        self._lock = threading.RLock()
        self._platform_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._forger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_key_id = "PUB_KEY_ID_0114" + secrets.token_hex(8).upper()
        # Answers name the platform public key's id; a merchant on platform
        # certificates (平台证书) gets the certificate's serial instead.
        self.serial_mode = "public_key"  # or "certificate"
        self._certificates: list[tuple[rsa.RSAPrivateKey, x509.Certificate]] = []
        self.rotate_certificate()
        merchant_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.merchant = Merchant(
            mchid="1900" + f"{self._rng.randrange(10**6):06d}",
            appid="wx" + secrets.token_hex(8),
            cert_serial_no=secrets.token_hex(20).upper(),
            private_key_pem=pem_private(merchant_key),
            apiv3_key=secrets.token_hex(16),  # 32 characters, as the merchant platform asks
        )
        self._merchant_public = merchant_key.public_key()
        self._trades: dict[str, _Trade] = {}
        self._bill: list[_BillLine] = []
        self._bills: dict[str, bytes] = {}
        self._nonces: set[str] = set()
        self._outbox: list[Notification] = []
        self.requests_refused = 0  # bad signatures seen (tests check the adapter never sends one)
        self.calls: Counter[str] = Counter()  # "METHOD /path" of each signed request
        self.notifications_sent = 0

    # --- platform certificates (平台证书) ---

    def rotate_certificate(self) -> str:
        """Issue a new platform certificate (with a new key) and sign with it from now
        on, as WeChat Pay does when it rotates; the old one stays downloadable.
        Returns the new serial number (hex)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA")])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=5 * 365))
            .sign(key, hashes.SHA256())
        )
        with self._lock:
            self._certificates.append((key, cert))
        return f"{cert.serial_number:X}"

    @property
    def platform_certificate_pem(self) -> str:
        """The newest platform certificate, as the merchant platform lets one download it."""
        return self._certificates[-1][1].public_bytes(serialization.Encoding.PEM).decode()

    # --- serving ---

    @property
    def platform_public_key_pem(self) -> str:
        return pem_public(self._platform_key.public_key())

    def request_handler(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    # --- the customer's phone, and what tests inspect ---

    def pay(self, out_trade_no: str) -> str:
        """The customer scans the native QR and pays now; the trade state after."""
        with self._lock:
            trade = self._trades[out_trade_no]
            self._progress(trade)
            if trade.state in ("NOTPAY", "USERPAYING"):
                self._charge(trade)
            return trade.state

    def charges(self, out_trade_no: str) -> int:
        with self._lock:
            trade = self._trades.get(out_trade_no)
            return trade.charges if trade else 0

    def net_fen(self, out_trade_no: str) -> int:
        """What the merchant kept: charged minus refunded (and reversed)."""
        with self._lock:
            trade = self._trades.get(out_trade_no)
            if trade is None:
                return 0
            return trade.charges * trade.total - sum(trade.refunds.values())

    def trade_state(self, out_trade_no: str) -> str | None:
        with self._lock:
            trade = self._trades.get(out_trade_no)
            if trade is None:
                return None
            self._progress(trade)
            return trade.state

    def pending_notifications(self) -> int:
        with self._lock:
            return len(self._outbox)

    def deliver_notifications(
        self, send: Callable[[Notification], int] | None = None
    ) -> list[tuple[Notification, int]]:
        """POST every pending notification (``send`` replaces the HTTP POST in tests);
        those not answered 2xx stay pending, as WeChat Pay retries them."""
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
            if not 200 <= status < 300 and not note.forged:
                retry.append(note)
        with self._lock:
            self._outbox[:0] = retry
        return done

    def forged_notification(self, out_trade_no: str, url: str) -> Notification:
        """A TRANSACTION.SUCCESS for ``out_trade_no`` signed with a key that is not
        WeChat Pay's (what an attacker who knows the notify URL would send)."""
        with self._lock:
            trade = self._trades[out_trade_no]
            resource = self._transaction(trade) | {"trade_state": "SUCCESS"}
            return self._notification(url, "TRANSACTION.SUCCESS", resource, forged=True)

    # --- the API (called by the handler with the lock free) ---

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any] | bytes | None, str]:
        """One request: (status, JSON body or raw bytes or None, fault) where fault is
        "" or "drop" (close the connection without answering)."""
        try:
            self._check_signature(method, target, headers, body)
        except _Refusal as refusal:
            self.requests_refused += 1
            return refusal.status, {"code": refusal.code, "message": refusal.message}, ""
        self.calls[f"{method} {urlsplit(target).path}"] += 1
        if self._rng.random() < self.faults.error_rate:
            return 500, {"code": "SYSTEM_ERROR", "message": "系统错误"}, ""
        path = urlsplit(target).path
        query = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            return 400, {"code": "PARAM_ERROR", "message": "请求体不是JSON"}, ""
        with self._lock:
            try:
                status, answer = self._route(method, path, query, data)
            except _Refusal as refusal:
                status, answer = refusal.status, {"code": refusal.code, "message": refusal.message}
        fault = "drop" if self._rng.random() < self.faults.drop_rate else ""
        return status, answer, fault

    def sign_answer(self, body: bytes) -> dict[str, str]:
        """The Wechatpay-* headers of an answer (forged at the configured rate)."""
        forged = self._rng.random() < self.faults.forge_rate
        return self._signature_headers(body, forged=forged)

    # --- internals (lock held from here on) ---

    def _check_signature(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> None:
        auth = headers.get("authorization", "")
        scheme, _, params = auth.partition(" ")
        if scheme != "WECHATPAY2-SHA256-RSA2048":
            raise _Refusal(401, "SIGN_ERROR", "Authorization 认证类型错误")
        fields = dict(_AUTH.findall(params))
        if fields.get("mchid") != self.merchant.mchid:
            raise _Refusal(401, "SIGN_ERROR", "商户号错误")
        if fields.get("serial_no", "").upper() != self.merchant.cert_serial_no:
            raise _Refusal(401, "SIGN_ERROR", "商户证书序列号错误")
        try:
            stamp = int(fields.get("timestamp", ""))
        except ValueError:
            raise _Refusal(401, "SIGN_ERROR", "时间戳错误") from None
        if abs(self._wall() - stamp) > MAX_SKEW_S:
            raise _Refusal(401, "SIGN_ERROR", "请求已过期")
        nonce = fields.get("nonce_str", "")
        message = f"{method}\n{target}\n{stamp}\n{nonce}\n{body.decode('utf-8', 'replace')}\n"
        try:
            self._merchant_public.verify(
                base64.b64decode(fields.get("signature", "")),
                message.encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError):
            raise _Refusal(401, "SIGN_ERROR", "签名错误") from None
        with self._lock:
            if nonce in self._nonces:
                raise _Refusal(401, "SIGN_ERROR", "重复的请求")
            self._nonces.add(nonce)

    def _route(
        self, method: str, path: str, query: dict[str, str], data: dict[str, Any]
    ) -> tuple[int, dict[str, Any] | bytes | None]:
        if method == "POST" and path == "/v3/pay/transactions/codepay":
            return self._create(data, "MICROPAY")
        if method == "POST" and path == "/v3/pay/transactions/native":
            return self._create(data, "NATIVE")
        found = re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)(/reverse|/close)?", path)
        if found:
            return self._on_trade(method, found.group(1), found.group(2), query, data)
        if method == "POST" and path == "/v3/refund/domestic/refunds":
            return self._refund(data)
        if method == "GET" and path.startswith("/v3/refund/domestic/refunds/"):
            return self._refund_query(path.rsplit("/", 1)[1])
        if method == "GET" and path == "/v3/certificates":
            return 200, self._certificate_list()
        if method == "GET" and path == "/v3/bill/tradebill":
            return self._trade_bill(query)
        if method == "GET" and path == "/v3/billdownload/file":
            packed = self._bills.get(query.get("token", ""))
            if packed is None:
                raise _Refusal(404, "RESOURCE_NOT_EXISTS", "账单不存在")
            return 200, packed
        raise _Refusal(404, "NOT_FOUND", "接口不存在")

    def _on_trade(
        self,
        method: str,
        no: str,
        action: str | None,
        query: dict[str, str],
        data: dict[str, Any],
    ) -> tuple[int, dict[str, Any] | bytes | None]:
        if method == "GET" and action is None:
            if query.get("mchid") != self.merchant.mchid:
                raise _Refusal(400, "PARAM_ERROR", "mchid与请求的商户号不一致")
            return 200, self._transaction(self._get(no))
        if method == "POST" and action == "/reverse":
            self._own(data)
            return self._reverse(self._get(no))
        if method == "POST" and action == "/close":
            if data.get("mchid") != self.merchant.mchid:
                raise _Refusal(400, "PARAM_ERROR", "mchid与请求的商户号不一致")
            return self._close(self._get(no))
        raise _Refusal(404, "NOT_FOUND", "接口不存在")

    def _certificate_list(self) -> dict[str, Any]:
        """GET /v3/certificates: each certificate encrypted with the APIv3 key."""
        data = []
        for _, cert in self._certificates:
            nonce = secrets.token_urlsafe(9)[:12]
            sealed = AESGCM(self.merchant.apiv3_key.encode()).encrypt(
                nonce.encode(), cert.public_bytes(serialization.Encoding.PEM), b"certificate"
            )
            data.append(
                {
                    "serial_no": f"{cert.serial_number:X}",
                    "effective_time": cert.not_valid_before_utc.astimezone(CST).isoformat(),
                    "expire_time": cert.not_valid_after_utc.astimezone(CST).isoformat(),
                    "encrypt_certificate": {
                        "algorithm": "AEAD_AES_256_GCM",
                        "nonce": nonce,
                        "associated_data": "certificate",
                        "ciphertext": base64.b64encode(sealed).decode(),
                    },
                }
            )
        return {"data": data}

    def _own(self, data: dict[str, Any]) -> None:
        if data.get("mchid") != self.merchant.mchid or data.get("appid") != self.merchant.appid:
            raise _Refusal(400, "PARAM_ERROR", "appid和mch_id不匹配")

    def _create(self, data: dict[str, Any], kind: str) -> tuple[int, dict[str, Any]]:
        self._own(data)
        no = str(data.get("out_trade_no", ""))
        total = data.get("amount", {}).get("total")
        if not re.fullmatch(r"[0-9A-Za-z_\-|*]{6,32}", no) or not isinstance(total, int):
            raise _Refusal(400, "PARAM_ERROR", "参数错误")
        if total <= 0 or not data.get("description"):
            raise _Refusal(400, "PARAM_ERROR", "参数错误")
        auth_code = data.get("payer", {}).get("auth_code") if kind == "MICROPAY" else None
        existing = self._trades.get(no)
        if existing is not None:
            # A resubmitted order (same out_trade_no) answers with the order as it stands.
            if existing.total != total or existing.kind != kind:
                raise _Refusal(400, "INVALID_REQUEST", "商户订单号重复")
            return self._create_answer(existing)
        if kind == "MICROPAY":
            if not data.get("scene_info", {}).get("store_info", {}).get("out_id"):
                raise _Refusal(400, "PARAM_ERROR", "缺少门店编号 scene_info.store_info.out_id")
            if not isinstance(auth_code, str) or not _CODE.match(auth_code):
                raise _Refusal(400, "PARAM_ERROR", "付款码无效")
        elif not str(data.get("notify_url", "")).startswith(("http://", "https://")):
            raise _Refusal(400, "PARAM_ERROR", "notify_url 格式错误")
        customer = self.customer_for(kind, auth_code)
        trade = _Trade(
            out_trade_no=no,
            kind=kind,
            total=total,
            description=str(data["description"]),
            created=self._now(),
            customer=customer,
            state="USERPAYING" if kind == "MICROPAY" else "NOTPAY",
            notify_url=data.get("notify_url"),
        )
        self._trades[no] = trade
        if customer.decline:
            trade.state = "PAYERROR"
            raise _Refusal(403, customer.decline, "余额不足")
        if customer.pay_after_s is not None and customer.pay_after_s <= 0:
            self._charge(trade)
        return self._create_answer(trade)

    def _create_answer(self, trade: _Trade) -> tuple[int, dict[str, Any]]:
        self._progress(trade)
        if trade.kind == "NATIVE":
            return 200, {"code_url": f"weixin://wxpay/bizpayurl?pr={trade.transaction_id[:12]}"}
        if trade.state == "USERPAYING":
            return 202, {"code": "USERPAYING", "message": "需要用户输入支付密码"}
        if trade.state == "SUCCESS":
            return 200, self._transaction(trade)
        raise _Refusal(400, "INVALID_REQUEST", f"订单状态为{trade.state}")

    def _reverse(self, trade: _Trade) -> tuple[int, dict[str, Any]]:
        if trade.kind != "MICROPAY":
            raise _Refusal(400, "INVALID_REQUEST", "仅付款码订单可撤销")
        age = self._now() - trade.created
        if age < REVERSE_MIN_AGE:
            raise _Refusal(400, "INVALID_REQUEST", "请在下单15秒后再撤销")
        if age > REVERSE_MAX_AGE:
            raise _Refusal(400, "INVALID_REQUEST", "超过7天的订单不能撤销，请使用申请退款")
        if trade.customer.pay_on_cancel and trade.state == "USERPAYING":
            self._charge(trade)
        if trade.state == "USERPAYING":
            raise _Refusal(400, "USERPAYING", "用户支付中，请稍后再撤销")
        if trade.state == "SUCCESS":
            self._refund_money(trade, f"{trade.out_trade_no}REVOKE", trade.total)
        if trade.state in ("SUCCESS", "NOTPAY", "PAYERROR"):
            trade.state = "REVOKED"
        if trade.state == "REFUND":
            raise _Refusal(400, "INVALID_REQUEST", "订单已退款，不能撤销")
        return 200, {
            "appid": self.merchant.appid,
            "mchid": self.merchant.mchid,
            "out_trade_no": trade.out_trade_no,
        }

    def _close(self, trade: _Trade) -> tuple[int, None]:
        if trade.customer.pay_on_cancel and trade.state == "NOTPAY":
            self._charge(trade)
        if trade.state in ("SUCCESS", "REFUND"):
            raise _Refusal(400, "ORDERPAID", "订单已支付，不能关闭")
        if trade.state == "NOTPAY":
            if self._now() - trade.created < CLOSE_MIN_AGE:
                raise _Refusal(400, "ORDER_TOO_NEW", "订单生成后5分钟内不能关闭")
            trade.state = "CLOSED"
        return 204, None

    def _refund(self, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        trade = self._get(str(data.get("out_trade_no", "")))
        refund_no = str(data.get("out_refund_no", ""))
        amount = data.get("amount", {})
        refund, total = amount.get("refund"), amount.get("total")
        if not refund_no or not isinstance(refund, int) or refund <= 0:
            raise _Refusal(400, "PARAM_ERROR", "参数错误")
        if refund_no in trade.refunds:
            if trade.refunds[refund_no] != refund:
                raise _Refusal(400, "INVALID_REQUEST", "退款单号重复，金额不一致")
            return 200, self._refund_answer(trade, refund_no)
        if total != trade.total:
            raise _Refusal(400, "PARAM_ERROR", "订单金额与原订单不一致")
        if trade.state not in ("SUCCESS", "REFUND"):
            raise _Refusal(400, "INVALID_REQUEST", "订单未支付，不能退款")
        if sum(trade.refunds.values()) + refund > trade.total:
            raise _Refusal(400, "INVALID_REQUEST", "退款金额超过订单可退金额")
        self._refund_money(trade, refund_no, refund)
        trade.state = "REFUND"
        answer = self._refund_answer(trade, refund_no)
        if data.get("notify_url"):
            self._outbox.append(
                self._notification(str(data["notify_url"]), "REFUND.SUCCESS", answer)
            )
        return 200, answer

    def _refund_query(self, refund_no: str) -> tuple[int, dict[str, Any]]:
        for trade in self._trades.values():
            if refund_no in trade.refunds:
                return 200, self._refund_answer(trade, refund_no)
        raise _Refusal(404, "RESOURCE_NOT_EXISTS", "退款单不存在")

    def _refund_answer(self, trade: _Trade, refund_no: str) -> dict[str, Any]:
        return {
            "refund_id": "50" + hashlib.sha1(refund_no.encode()).hexdigest()[:26],
            "out_refund_no": refund_no,
            "transaction_id": trade.transaction_id,
            "out_trade_no": trade.out_trade_no,
            "status": "SUCCESS",
            "amount": {
                "refund": trade.refunds[refund_no],
                "total": trade.total,
                "currency": "CNY",
            },
        }

    def _trade_bill(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        try:
            day = date.fromisoformat(query.get("bill_date", ""))
        except ValueError:
            raise _Refusal(400, "PARAM_ERROR", "bill_date 格式错误") from None
        if day >= self._now().astimezone(CST).date():
            raise _Refusal(400, "INVALID_REQUEST", "只能下载当日之前的账单")
        lines = [b for b in self._bill if b.at.astimezone(CST).date() == day]
        if not lines:
            raise _Refusal(400, "NO_STATEMENT_EXIST", "账单不存在")
        packed = gzip.compress(self._bill_csv(lines).encode("utf-8"), mtime=0)
        token = secrets.token_urlsafe(12)
        self._bills[token] = packed
        return 200, {
            "hash_type": "SHA1",
            "hash_value": hashlib.sha1(packed).hexdigest(),
            "download_url": f"{self.url}/v3/billdownload/file?token={token}",
        }

    def _bill_csv(self, lines: list[_BillLine]) -> str:
        def yuan(fen: int) -> str:
            return f"{fen // 100}.{fen % 100:02d}"

        out = [",".join(BILL_COLUMNS)]
        for b in sorted(lines, key=lambda b: b.at):
            row = dict.fromkeys(BILL_COLUMNS, "")
            refund = b.state == "REFUND"
            row |= {
                "交易时间": b.at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S"),
                "公众账号ID": self.merchant.appid,
                "商户号": self.merchant.mchid,
                "微信订单号": b.transaction_id,
                "商户订单号": b.trade,
                "交易类型": b.kind,
                "交易状态": b.state,
                "货币种类": "CNY",
                "应结订单金额": yuan(0 if refund else b.amount),
                "代金券金额": "0.00",
                "商户退款单号": b.refund_no,
                "退款金额": yuan(b.amount if refund else 0),
                "退款状态": "SUCCESS" if refund else "",
                "手续费": "0.00",
                "费率": "0.60%",
                "订单金额": yuan(b.amount),
            }
            out.append(",".join("`" + row[c] for c in BILL_COLUMNS))
        pays = sum(b.amount for b in lines if b.state != "REFUND")
        refunds = sum(b.amount for b in lines if b.state == "REFUND")
        out.append("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额")
        out.append(f"`{len(lines)},`{yuan(pays)},`{yuan(refunds)},`0.00,`0.00,`{yuan(pays)}")
        return "\n".join(out) + "\n"

    def _get(self, no: str) -> _Trade:
        trade = self._trades.get(no)
        if trade is None:
            raise _Refusal(404, "ORDER_NOT_EXIST", "订单不存在")
        self._progress(trade)
        return trade

    def _progress(self, trade: _Trade) -> None:
        """Advance the trade to protocol time now: the customer pays; unpaid codepay
        orders are revoked at 45 s."""
        now = self._now()
        after = trade.customer.pay_after_s
        if trade.state in ("NOTPAY", "USERPAYING") and after is not None:
            paid_at = trade.created + timedelta(seconds=after)
            if now >= paid_at and (trade.kind == "NATIVE" or after < AUTO_REVOKE.total_seconds()):
                self._charge(trade, at=paid_at)
        expired = now >= trade.created + AUTO_REVOKE
        if trade.kind == "MICROPAY" and trade.state == "USERPAYING" and expired:
            trade.state = "REVOKED"

    def _charge(self, trade: _Trade, at: datetime | None = None) -> None:
        trade.state = "SUCCESS"
        trade.charges += 1
        trade.success_time = at or self._now()
        self._bill.append(
            _BillLine(
                trade.success_time,
                trade.out_trade_no,
                trade.transaction_id,
                trade.kind,
                "SUCCESS",
                trade.total,
            )
        )
        if trade.notify_url:
            self._outbox.append(
                self._notification(
                    trade.notify_url, "TRANSACTION.SUCCESS", self._transaction(trade)
                )
            )

    def _refund_money(self, trade: _Trade, refund_no: str, amount: int) -> None:
        trade.refunds[refund_no] = amount
        self._bill.append(
            _BillLine(
                self._now(),
                trade.out_trade_no,
                trade.transaction_id,
                trade.kind,
                "REFUND",
                amount,
                refund_no,
            )
        )

    def _transaction(self, trade: _Trade) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "appid": self.merchant.appid,
            "mchid": self.merchant.mchid,
            "out_trade_no": trade.out_trade_no,
            "trade_type": trade.kind,
            "trade_state": trade.state,
            "trade_state_desc": {
                "SUCCESS": "支付成功",
                "REFUND": "转入退款",
                "NOTPAY": "未支付",
                "CLOSED": "已关闭",
                "REVOKED": "已撤销（付款码支付）",
                "USERPAYING": "用户支付中（付款码支付）",
                "PAYERROR": "支付失败",
            }[trade.state],
            "amount": {"total": trade.total, "currency": "CNY"},
        }
        if trade.success_time is not None:
            answer["transaction_id"] = trade.transaction_id
            answer["success_time"] = trade.success_time.astimezone(CST).isoformat(
                timespec="seconds"
            )
            answer["amount"] |= {"payer_total": trade.total, "payer_currency": "CNY"}
            answer["payer"] = {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}
        return answer

    def _notification(
        self, url: str, event_type: str, resource: dict[str, Any], *, forged: bool = False
    ) -> Notification:
        nonce = secrets.token_urlsafe(9)[:12]
        original = "transaction" if event_type.startswith("TRANSACTION") else "refund"
        sealed = AESGCM(self.merchant.apiv3_key.encode()).encrypt(
            nonce.encode(), json.dumps(resource, ensure_ascii=False).encode(), original.encode()
        )
        body = json.dumps(
            {
                "id": secrets.token_hex(16),
                "create_time": self._now().astimezone(CST).isoformat(timespec="seconds"),
                "resource_type": "encrypt-resource",
                "event_type": event_type,
                "summary": "支付成功" if original == "transaction" else "退款成功",
                "resource": {
                    "original_type": original,
                    "algorithm": "AEAD_AES_256_GCM",
                    "ciphertext": base64.b64encode(sealed).decode(),
                    "associated_data": original,
                    "nonce": nonce,
                },
            },
            ensure_ascii=False,
        ).encode()
        forged = forged or self._rng.random() < self.faults.notify_forge_rate
        headers = self._signature_headers(body, forged=forged)
        headers["Content-Type"] = "application/json"
        return Notification(url, headers, body, event_type, forged)

    def _signature_headers(self, body: bytes, *, forged: bool) -> dict[str, str]:
        stamp = str(int(self._wall()))
        nonce = secrets.token_hex(16)
        if self.serial_mode == "certificate":
            key, cert = self._certificates[-1]
            serial = f"{cert.serial_number:X}"
        else:
            key, serial = self._platform_key, self.public_key_id
        key = self._forger_key if forged else key
        message = f"{stamp}\n{nonce}\n{body.decode('utf-8', 'replace')}\n"
        return {
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": sign_sha256_rsa(key, message),
            "Wechatpay-Serial": serial,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        }


class _Handler(BaseHTTPRequestHandler):
    emulator: WeChatPayEmulator
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without TCP_NODELAY, Nagle's
        # algorithm holds the body for the client's delayed ACK (40 ms a call).
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: request lines would carry order numbers into test output

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        emulator = self.emulator
        status, answer, fault = emulator.handle(self.command, self.path, headers, body)
        if emulator.faults.stall_s:
            time.sleep(emulator.faults.stall_s)
        if fault == "drop":
            self.close_connection = True
            return
        if isinstance(answer, bytes):
            payload, kind = answer, "application/octet-stream"
        else:
            payload = b"" if answer is None else json.dumps(answer, ensure_ascii=False).encode()
            kind = "application/json"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        if status < 500 and kind == "application/json":
            for name, value in emulator.sign_answer(payload).items():
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

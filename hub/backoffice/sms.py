"""Progress SMS: an outbox on the hub, and the gateways it delivers through.

A message is first a row of ``bo_sms_outbox`` (:func:`enqueue`), written in
the transaction of the status change it reports, so a change is never
committed without its message, nor a message without its change. The
:class:`SmsDispatcher` thread then delivers due rows through a
:class:`SmsGateway`: retried with exponential backoff (:data:`BACKOFF_S`),
marked ``failed`` after :data:`MAX_ATTEMPTS` (an operator may retry it from
the console), never lost.

Never texted twice: each row carries a unique ``key`` (the application event
it reports) which is also the gateway's idempotency key (``message_id``), so a
hub that dies between the gateway's answer and its own commit resends a
message the gateway already knows and drops.

Gateways:

- :class:`RecordingGateway` (demo, and every hub without ``sms_gateway_url``):
  keeps the message in ``svc_sms`` and marks it ``recorded``; the console
  says "recorded, not sent", never "sent";
- :class:`HttpSmsGateway`: a provider's HTTP API, signed with HMAC-SHA256
  (or SM3-HMAC under 国密, :mod:`hub.crypto`) over ``timestamp + "\\n" + body``.

The phone is sealed at rest (:mod:`hub.crypto`) and opened only to hand it to
the gateway; logs name the row id, never the phone or the text.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from hub.crypto import cipher_of
from hub.services.clock import Clock, db_time
from hub.services.identity import mask_phone
from hub.services.models import SmsRow

log = logging.getLogger(__name__)

PHONE = "bo_sms_outbox.phone_sealed"
# Waits before the 2nd, 3rd … attempt; the last one repeats. ~1 h in total.
BACKOFF_S = (10, 30, 60, 120, 300, 600, 900, 1800)
MAX_ATTEMPTS = len(BACKOFF_S) + 1
PENDING, SENT, RECORDED, FAILED = "pending", "sent", "recorded", "failed"
STATUS_LABELS = {
    PENDING: "待发送",
    SENT: "已发送",
    RECORDED: "仅记录（演示，未发送）",
    FAILED: "发送失败",
}
_BATCH = 50


class DeliveryError(Exception):
    """The gateway did not take the message; ``retry`` says whether to try again."""

    def __init__(self, reason: str, retry: bool = True) -> None:
        super().__init__(reason)
        self.retry = retry


@dataclass(frozen=True)
class OutgoingSms:
    message_id: str  # the outbox key: the gateway's idempotency key
    phone: str
    text: str


class SmsGateway(Protocol):
    """Hands one message to a provider. Returns the outbox status it reached
    (:data:`SENT` or :data:`RECORDED`); raises :class:`DeliveryError`."""

    def deliver(self, session: Session, message: OutgoingSms, now: datetime) -> str: ...


class RecordingGateway:
    """Sends nothing: keeps the message (phone masked) in ``svc_sms`` for the console."""

    def deliver(self, session: Session, message: OutgoingSms, now: datetime) -> str:
        sent_at = db_time(now)
        session.add(
            SmsRow(phone_masked=mask_phone(message.phone), text=message.text, sent_at=sent_at)
        )
        return RECORDED


def sign(key: bytes, timestamp: str, body: bytes, alg: str = "sha256") -> str:
    """The request signature: hex HMAC of ``timestamp\\n`` + body with ``alg``
    (``sha256``, or ``sm3`` on 国密 hubs: SM3-HMAC, GB/T 32905 with RFC 2104)."""
    algorithm = hashes.SM3() if alg == "sm3" else hashes.SHA256()
    mac = crypto_hmac.HMAC(key, algorithm)
    mac.update(timestamp.encode("ascii") + b"\n" + body)
    return mac.finalize().hex()


class HttpSmsGateway:
    """A provider's SMS API over HTTPS (URL, signing key, template id from the config).

    Request: ``POST url`` with JSON ``{"message_id", "phone", "template_id",
    "params": {"text"}}`` and headers ``X-Huimin-Timestamp`` (Unix seconds)
    and ``X-Huimin-Signature`` (:func:`sign`). A 2xx is delivered; 5xx, 429 and
    network errors are retried; other 4xx are final (the provider refuses the
    message itself: bad number, template).
    """

    def __init__(
        self,
        url: str,
        key: bytes,
        template_id: str,
        alg: str = "sha256",
        timeout_s: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._url = url
        self._key = key
        self._template = template_id
        self._alg = alg
        self._client = httpx.Client(timeout=timeout_s, transport=transport)

    def deliver(self, session: Session, message: OutgoingSms, now: datetime) -> str:
        del session
        body = json.dumps(
            {
                "message_id": message.message_id,
                "phone": message.phone,
                "template_id": self._template,
                "params": {"text": message.text},
            },
            ensure_ascii=False,
        ).encode("utf-8")
        del now  # the provider checks the stamp against real time, not the hub's clock
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Huimin-Timestamp": stamp,
            "X-Huimin-Signature": sign(self._key, stamp, body, self._alg),
        }
        try:
            reply = self._client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"网关无法连接：{type(exc).__name__}") from exc
        if reply.is_success:
            return SENT
        retry = reply.status_code >= 500 or reply.status_code == 429
        raise DeliveryError(f"网关拒绝：HTTP {reply.status_code}", retry=retry)

    def close(self) -> None:
        self._client.close()


def enqueue(session: Session, key: str, phone: str, text: str, now: datetime) -> None:
    """Queue a message in the caller's transaction (sent after it commits)."""
    from hub.backoffice.models import SmsOutboxRow

    session.add(
        SmsOutboxRow(
            key=key[:80],
            phone_sealed=cipher_of(session).seal(phone, PHONE),
            phone_masked=mask_phone(phone),
            text=text,
            status=PENDING,
            attempts=0,
            next_attempt_at=db_time(now),
            last_error="",
            created_at=db_time(now),
        )
    )


def counts(session: Session) -> dict[str, int]:
    """Messages by outbox status (the console's sent / failed / pending)."""
    from hub.backoffice.models import SmsOutboxRow

    rows = session.execute(
        select(SmsOutboxRow.status, func.count()).group_by(SmsOutboxRow.status)
    ).all()
    found = {str(status): int(n) for status, n in rows}
    return {status: found.get(status, 0) for status in STATUS_LABELS}


def retry_failed(session: Session, row_id: int, now: datetime) -> bool:
    """Put a failed message back in the queue (console); whether one was failed."""
    from hub.backoffice.models import SmsOutboxRow

    done = session.execute(
        update(SmsOutboxRow)
        .where(SmsOutboxRow.id == row_id, SmsOutboxRow.status == FAILED)
        .values(status=PENDING, attempts=0, next_attempt_at=db_time(now), last_error="")
    )
    return bool(getattr(done, "rowcount", 0))


class SmsDispatcher:
    """Delivers due outbox rows; :meth:`drain` once, or :meth:`start` a thread
    that drains every ``interval_s`` and as soon as :meth:`wake` is called."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        gateway: SmsGateway,
        clock: Clock,
        interval_s: float = 5.0,
    ) -> None:
        self._factory = factory
        self.gateway = gateway
        self._clock = clock
        self._interval = interval_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._drain_lock = threading.Lock()

    def wake(self) -> None:
        self._wake.set()

    def drain(self) -> int:
        """Try every due message once; the number delivered (sent or recorded)."""
        from hub.backoffice.models import SmsOutboxRow

        delivered = 0
        with self._drain_lock:
            now = db_time(self._clock.now())
            with self._factory() as session:
                due = session.scalars(
                    select(SmsOutboxRow.id)
                    .where(SmsOutboxRow.status == PENDING, SmsOutboxRow.next_attempt_at <= now)
                    .order_by(SmsOutboxRow.id)
                    .limit(_BATCH)
                ).all()
            for row_id in due:
                delivered += self._deliver_one(row_id)
        return delivered

    def _deliver_one(self, row_id: int) -> int:
        from hub.backoffice.models import SmsOutboxRow

        with self._factory() as session, session.begin():
            row = session.get(SmsOutboxRow, row_id, with_for_update=True)
            now = self._clock.now()
            if row is None or row.status != PENDING or row.next_attempt_at > db_time(now):
                return 0  # another hub process took it
            message = OutgoingSms(
                row.key, cipher_of(session).open(row.phone_sealed, PHONE), row.text
            )
            row.attempts += 1
            try:
                row.status = self.gateway.deliver(session, message, now)
            except DeliveryError as exc:
                row.last_error = str(exc)[:200]
                if not exc.retry or row.attempts >= MAX_ATTEMPTS:
                    row.status = FAILED
                    row.done_at = db_time(now)
                    log.warning("sms %d failed for good after %d attempts", row.id, row.attempts)
                else:
                    wait = BACKOFF_S[min(row.attempts - 1, len(BACKOFF_S) - 1)]
                    row.next_attempt_at = db_time(now + timedelta(seconds=wait))
                    log.info(
                        "sms %d not delivered (attempt %d), retry in %d s",
                        row.id,
                        row.attempts,
                        wait,
                    )
                return 0
            row.done_at = db_time(now)
            row.last_error = ""
            return 1

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sms-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.drain()
            except Exception:  # supervision point: the outbox must outlive a bad round
                log.exception("sms outbox round failed")
            self._wake.wait(self._interval)
            self._wake.clear()
        try:
            self.drain()  # what was queued while stopping goes out before the hub exits
        except Exception:  # supervision point, as above
            log.exception("sms outbox final round failed")


class OutboxNotifier:
    """The :class:`hub.services.notifier.Notifier` of a hub with an outbox: the
    terminal's submissions (``create_application``) queue their 受理 SMS here."""

    def __init__(
        self, factory: sessionmaker[Session], clock: Clock, dispatcher: SmsDispatcher
    ) -> None:
        self._factory = factory
        self._clock = clock
        self._dispatcher = dispatcher

    def send(self, phone: str, text: str) -> None:
        import secrets

        now = self._clock.now()
        key = f"notice:{db_time(now):%Y%m%d%H%M%S}:{secrets.token_hex(8)}"
        with self._factory() as session, session.begin():
            enqueue(session, key, phone, text, now)
        self._dispatcher.wake()

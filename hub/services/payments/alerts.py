"""Payment alerts: what the operators must look at, and the channel wrapper that
raises them when an answer's signature is forged.

Alert rows (``svc_pay_alerts``) name order numbers and days, never a person;
every raise is logged at WARNING with the same words.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hub.services.clock import Clock, db_time
from hub.services.payments.models import PaymentAlertRow
from hub.services.payments.provider import (
    BillRow,
    ChannelRules,
    ForgedMessage,
    Method,
    NotifyingChannel,
    TradeEvent,
    TradeResult,
)

log = logging.getLogger(__name__)

ALERT_LABELS = {
    "forged_signature": "支付应答或通知签名无效",
    "unknown_order": "支付通知的订单不存在",
    "amount_mismatch": "支付通知金额与订单不符",
    "reconcile_missing_local": "对账：渠道有记录，本地无记录",
    "reconcile_missing_bill": "对账：本地有记录，渠道账单无记录",
    "reconcile_amount": "对账：金额不一致",
    "reconcile_failed": "对账：账单下载失败",
}


class PaymentAlerts:
    """Raises payment alerts (deduplicated while open) and lists them."""

    def __init__(self, factory: sessionmaker[Session], clock: Clock) -> None:
        self._factory = factory
        self._clock = clock

    def raise_(self, channel: str, kind: str, subject: str, detail: str = "") -> bool:
        """Open the alert unless it is open already; True when newly raised."""
        key = f"{channel}:{kind}:{subject}"[:120]
        log.warning("payment alert %s/%s %s: %s", channel, kind, subject, detail)
        try:
            with self._factory() as s, s.begin():
                if s.scalars(
                    select(PaymentAlertRow.id).where(PaymentAlertRow.open_key == key)
                ).first():
                    return False
                s.add(
                    PaymentAlertRow(
                        raised_at=db_time(self._clock.now()),
                        channel=channel,
                        kind=kind,
                        subject=subject[:64],
                        detail=detail[:400],
                        open_key=key,
                    )
                )
        except IntegrityError:
            return False  # another hub process raised it a moment ago
        return True

    def open_alerts(self) -> list[PaymentAlertRow]:
        with self._factory() as s:
            return list(
                s.scalars(
                    select(PaymentAlertRow)
                    .where(PaymentAlertRow.open_key.is_not(None))
                    .order_by(PaymentAlertRow.raised_at)
                )
            )

    def resolve(self, alert_id: int) -> bool:
        with self._factory() as s, s.begin():
            done = s.execute(
                update(PaymentAlertRow)
                .where(PaymentAlertRow.id == alert_id, PaymentAlertRow.open_key.is_not(None))
                .values(open_key=None, resolved_at=db_time(self._clock.now()))
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]


class AlertingChannel:
    """A :class:`NotifyingChannel` whose forged answers raise an alert before the
    :class:`ForgedMessage` goes on (to the service, which treats it as unknown)."""

    def __init__(self, channel: NotifyingChannel, alerts: PaymentAlerts) -> None:
        self.channel = channel
        self.alerts = alerts
        self.name = channel.name
        self.rules: ChannelRules = channel.rules

    def _forged(self, what: str, exc: ForgedMessage) -> None:
        self.alerts.raise_(self.name, "forged_signature", what, exc.code)

    def create(
        self,
        order_no: str,
        amount_fen: int,
        method: Method,
        description: str,
        auth_code: str | None = None,
    ) -> TradeResult:
        try:
            return self.channel.create(order_no, amount_fen, method, description, auth_code)
        except ForgedMessage as exc:
            self._forged(order_no, exc)
            raise

    def query(self, order_no: str) -> TradeResult:
        try:
            return self.channel.query(order_no)
        except ForgedMessage as exc:
            self._forged(order_no, exc)
            raise

    def cancel(self, order_no: str) -> TradeResult:
        try:
            return self.channel.cancel(order_no)
        except ForgedMessage as exc:
            self._forged(order_no, exc)
            raise

    def refund(self, order_no: str, refund_no: str, amount_fen: int) -> None:
        try:
            self.channel.refund(order_no, refund_no, amount_fen)
        except ForgedMessage as exc:
            self._forged(order_no, exc)
            raise

    def daily_bill(self, day: date) -> list[BillRow]:
        try:
            return self.channel.daily_bill(day)
        except ForgedMessage as exc:
            self._forged(day.isoformat(), exc)
            raise

    def notification(self, headers: dict[str, str], body: bytes) -> TradeEvent | None:
        try:
            return self.channel.notification(headers, body)
        except ForgedMessage as exc:
            self._forged("notification", exc)
            raise

    def notification_answer(self, accepted: bool) -> tuple[int, bytes, str]:
        return self.channel.notification_answer(accepted)

"""Payment tables: orders and their step-by-step journal.

A journal row is written before each provider call (specs/payments-and-
privacy.md §Journal: write the record BEFORE the side effect), so a crash
between the call and its answer leaves an order in a state the sweep
resolves by querying the provider.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base


class PaymentOrderRow(Base):
    __tablename__ = "svc_pay_orders"

    order_no: Mapped[str] = mapped_column(String(32), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    item: Mapped[str] = mapped_column(String(64))
    payers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # person_ref, id_masked, fen
    amount_fen: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(8))  # native | micropay
    status: Mapped[str] = mapped_column(String(12), index=True)
    qr_payload: Mapped[str | None] = mapped_column(Text, nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    refunded_fen: Mapped[int] = mapped_column(Integer, default=0)
    refund_due_fen: Mapped[int] = mapped_column(Integer, default=0)  # owed back, not yet sent
    refund_no: Mapped[str | None] = mapped_column(String(40), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    deadline_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Who made it (issue 13): only this terminal may read, cancel or pay it; the
    # person session it was made in (svc_person_sessions.id).
    terminal_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    person_session_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class PaymentEventRow(Base):
    __tablename__ = "svc_pay_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_no: Mapped[str] = mapped_column(
        ForeignKey("svc_pay_orders.order_no", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(DateTime)
    event: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")


class PaymentAlertRow(Base):
    """Something an operator must look at about a payment channel: a forged
    signature, a reconciliation difference. Open while ``open_key`` is set
    (unique: a condition that persists is raised once, by one hub process)."""

    __tablename__ = "svc_pay_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    raised_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))  # forged_signature | reconcile_* | ...
    subject: Mapped[str] = mapped_column(String(64), default="")  # order number or day
    detail: Mapped[str] = mapped_column(String(400), default="")
    open_key: Mapped[str | None] = mapped_column(String(120), unique=True, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class ReconciliationRow(Base):
    """One day's 对账 against one channel's bill: run once per (channel, day)."""

    __tablename__ = "svc_pay_reconciliations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    ran_at: Mapped[datetime] = mapped_column(DateTime)
    mismatches: Mapped[list[dict[str, Any]]] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("channel", "day", name="uq_svc_pay_reconciliation_day"),)

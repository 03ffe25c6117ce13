"""Tables of the back office (prefixed ``bo_``); registered on ``Base`` by
``hub.services.models`` so migrations and ``create_all`` see them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base


class StaffScope(Base):
    """One department (and optionally one item of it) a staff account handles.

    ``item_id`` empty means every item of ``department``.
    """

    __tablename__ = "bo_staff_scopes"
    __table_args__ = (UniqueConstraint("operator_id", "department", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # fleet_operators.id, without a foreign key: these tables are registered
    # with the services' (whose tests build them without the fleet's), and
    # accounts are disabled, never deleted.
    operator_id: Mapped[int] = mapped_column(Integer, index=True)
    department: Mapped[str] = mapped_column(String(128))
    item_id: Mapped[str] = mapped_column(String(64), default="")


class SmsOutboxRow(Base):
    """One progress SMS waiting for, or past, delivery (hub/backoffice/sms.py).

    ``status``: ``pending`` (to send; ``next_attempt_at`` says when),
    ``sent`` (the gateway accepted it), ``recorded`` (the demo's recording
    gateway kept it; nothing was sent), ``failed`` (gave up after the last
    retry; an operator may retry). ``key`` is the message's idempotency key,
    sent to the gateway too, so a message is never texted twice.
    """

    __tablename__ = "bo_sms_outbox"
    __table_args__ = (Index("ix_bo_sms_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    phone_sealed: Mapped[str] = mapped_column(String(200))  # hub/crypto.py
    phone_masked: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    last_error: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    done_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class DeadlineWarningRow(Base):
    """A 黄牌/红牌 raised for an application (once per level; supervision.py)."""

    __tablename__ = "bo_deadline_warnings"
    __table_args__ = (UniqueConstraint("application_id", "level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("svc_applications.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[str] = mapped_column(String(8))  # yellow | red
    raised_at: Mapped[datetime] = mapped_column(DateTime)


class UpstreamRecordRow(Base):
    """One record for the provincial platform (hub/backoffice/upstream.py): an
    application event or a rating, captured in the transaction that made it.

    ``batch_id`` is set when the record joins a batch and never changes, so a
    retried batch is the same batch (the platform drops a batch id it has);
    ``sent_at`` is set when the platform accepted the batch.
    """

    __tablename__ = "bo_upstream_records"
    __table_args__ = (Index("ix_bo_upstream_records_unsent", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(String(80), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    batch_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    last_error: Mapped[str] = mapped_column(String(200), default="")

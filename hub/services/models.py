"""Tables of the citizen-services side (all prefixed ``svc_``).

Imported by ``hub/migrations/env.py`` so Alembic autogenerate sees them.
Timestamps are naive UTC (see :mod:`hub.services.clock`). Tables that hold
personal data hold the least the job needs: service tables carry a
``person_ref`` (keyed hash, :func:`hub.services.identity.person_ref`) and
masked copies for display; only the demo provider's own records (it stands in
for the provincial platform) hold full identity numbers.
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
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

import hub.documents.models  # registers the signed documents (电子档案) too
import hub.services.payments.models  # noqa: F401 - registers the payment tables too
from hub.db import Base


class CatalogueItemRow(Base):
    """One service item (事项) and its 办事指南, seeded from the catalogue file."""

    __tablename__ = "svc_catalogue_items"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    topic: Mapped[str] = mapped_column(String(8), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(128))
    guide: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # SHA-256 of the guide as last taken from config/catalogue.json: while the
    # stored guide still has it, nobody edited it here, and a newer file wins.
    file_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ItemPlaceRow(Base):
    """Whether an item is offered at a place; place ``*`` is the default."""

    __tablename__ = "svc_item_places"

    item_id: Mapped[str] = mapped_column(
        ForeignKey("svc_catalogue_items.id", ondelete="CASCADE"), primary_key=True
    )
    place: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)


class SequenceRow(Base):
    """Named counters (acceptance numbers per day, ticket numbers per queue)."""

    __tablename__ = "svc_sequences"

    name: Mapped[str] = mapped_column(String(160), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class IdempotencyRow(Base):
    """The first response to an idempotent request, replayed on retries (Stripe model)."""

    __tablename__ = "svc_idempotency"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime)


# --- the demo provider's records (the stand-in for the provincial platform) ---


class DemoPersonRow(Base):
    __tablename__ = "svc_demo_persons"

    person_ref: Mapped[str] = mapped_column(String(32), primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    ss_card_number: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    sex: Mapped[str] = mapped_column(String(1))
    birth: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(20))
    bank_pan: Mapped[str] = mapped_column(String(19))
    town: Mapped[str] = mapped_column(String(32))
    village: Mapped[str] = mapped_column(String(32))
    # none | contributing | receiving (城乡居民基本养老保险)
    pension_status: Mapped[str] = mapped_column(String(16))
    elderly_allowance: Mapped[bool] = mapped_column(Boolean)


class DemoContributionRow(Base):
    __tablename__ = "svc_demo_contributions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_ref: Mapped[str] = mapped_column(ForeignKey("svc_demo_persons.person_ref"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    grade_yuan: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Integer)
    subsidy_fen: Mapped[int] = mapped_column(Integer)
    paid_on: Mapped[date] = mapped_column(Date)


class DemoPensionRow(Base):
    __tablename__ = "svc_demo_pension"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_ref: Mapped[str] = mapped_column(ForeignKey("svc_demo_persons.person_ref"), index=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    basic_fen: Mapped[int] = mapped_column(Integer)
    account_fen: Mapped[int] = mapped_column(Integer)
    paid_on: Mapped[date] = mapped_column(Date)


class DemoMedicalRow(Base):
    __tablename__ = "svc_demo_medical"
    __table_args__ = (UniqueConstraint("person_ref", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_ref: Mapped[str] = mapped_column(ForeignKey("svc_demo_persons.person_ref"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    premium_fen: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8))  # paid | due
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    order_no: Mapped[str | None] = mapped_column(String(32), nullable=True)


class DemoSubsidyRow(Base):
    __tablename__ = "svc_demo_subsidies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_ref: Mapped[str] = mapped_column(ForeignKey("svc_demo_persons.person_ref"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    item: Mapped[str] = mapped_column(String(64))
    basis: Mapped[str] = mapped_column(String(64))  # e.g. "12.5亩 × 105元/亩"
    amount_fen: Mapped[int] = mapped_column(Integer)
    paid_on: Mapped[date] = mapped_column(Date)


# --- applications (一证通办), notifications, certificates ---


class ApplicationRow(Base):
    __tablename__ = "svc_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    acceptance_no: Mapped[str] = mapped_column(String(20), unique=True)
    item_id: Mapped[str] = mapped_column(String(64))
    item_name: Mapped[str] = mapped_column(String(128))
    person_ref: Mapped[str] = mapped_column(String(32), index=True)
    id_masked: Mapped[str] = mapped_column(String(18))
    name_masked: Mapped[str] = mapped_column(String(32))
    contact_phone: Mapped[str] = mapped_column(String(200))  # sealed (hub/crypto.py)
    form: Mapped[dict[str, Any]] = mapped_column(JSON)  # masked values only
    delivery_method: Mapped[str] = mapped_column(String(8))
    delivery_address: Mapped[str | None] = mapped_column(Text, nullable=True)  # sealed
    status: Mapped[str] = mapped_column(String(16))
    promised_days: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # 邮政专递 waybill number, entered by staff when the result is posted.
    waybill_no: Mapped[str | None] = mapped_column(String(40), nullable=True)

    events: Mapped[list[ApplicationEventRow]] = relationship(
        back_populates="application", order_by="ApplicationEventRow.id"
    )


class ApplicationEventRow(Base):
    __tablename__ = "svc_application_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("svc_applications.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime)
    # The back-office action (hub/backoffice/workflow.py) and the staff account
    # that took it; empty for the terminal's submission.
    action: Mapped[str] = mapped_column(String(24), default="")
    actor: Mapped[str] = mapped_column(String(60), default="")

    application: Mapped[ApplicationRow] = relationship(back_populates="events")


class SmsRow(Base):
    """An SMS the :class:`~hub.services.notifier.RecordingNotifier` would have sent."""

    __tablename__ = "svc_sms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone_masked: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class CertificateRow(Base):
    """An issued certificate; ``facts`` holds only masked values (shown on /verify)."""

    __tablename__ = "svc_certificates"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(64))
    person_ref: Mapped[str] = mapped_column(String(32), index=True)
    facts: Mapped[list[Any]] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    valid_until: Mapped[date] = mapped_column(Date)


class DocumentRow(Base):
    """A printable the hub issued for a person (certificate, acceptance slip, payment
    receipt), kept for 补打 (hub/services/documents.py). ``printable`` is the masked
    content exactly as first issued; rows older than the reprint window are purged."""

    __tablename__ = "svc_documents"
    __table_args__ = (
        UniqueConstraint("person_ref", "kind", "ref"),
        Index("ix_svc_documents_person_issued", "person_ref", "issued_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_ref: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(24))  # certificate | acceptance_slip | payment_receipt
    ref: Mapped[str] = mapped_column(String(40))  # certificate code, 受理编号 or order number
    title: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(String(160))
    printable: Mapped[dict[str, Any]] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(DateTime, index=True)


# --- ratings (好差评) and queue tickets (取号) ---


class RatingRow(Base):
    """One evaluation; deliberately without any personal data."""

    __tablename__ = "svc_ratings"
    # One rating per kiosk session of a terminal (hub/services/ratings.py).
    __table_args__ = (
        Index("ux_svc_ratings_terminal_session", "terminal_id", "terminal_session_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(String(64), index=True)
    level: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    terminal_session_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    # The terminal that sent it (None: stored before ratings were scoped).
    terminal_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class TicketRow(Base):
    __tablename__ = "svc_tickets"
    __table_args__ = (
        UniqueConstraint("service_point", "day", "business_type", "seq"),
        # The rate limit counts one terminal's recent tickets (hub/services/tickets.py).
        Index("ix_svc_tickets_terminal_issued", "terminal_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_point: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    business_type: Mapped[str] = mapped_column(String(4))
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8))  # waiting | called
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    # The terminal that drew it (None: drawn before tickets were scoped).
    terminal_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


from hub.backoffice import models as _backoffice_models  # noqa: E402, F401 - registers its tables

# --- person sessions (DESIGN §7) ---


class PersonSessionRow(Base):
    """One attempt by a terminal to open a person session, and the session if it opened.

    Refused attempts are rows too (``handle_hash`` and ``person_ref`` empty):
    the hourly quota counts attempts, so a terminal cannot try evidence for
    number after number. Only the SHA-256 of the handle is kept: a copy of the
    table does not let anyone act in a live session.
    """

    __tablename__ = "svc_person_sessions"
    __table_args__ = (Index("ix_svc_person_sessions_terminal_opened", "terminal_id", "opened_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terminal_id: Mapped[int] = mapped_column(Integer)
    handle_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    person_ref: Mapped[str | None] = mapped_column(String(32), nullable=True)
    card: Mapped[str] = mapped_column(String(8))  # idcard | sscard
    outcome: Mapped[str] = mapped_column(String(8))  # opened | refused
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class SignatureNonceRow(Base):
    """A nonce a terminal signed with, kept while its timestamp could still be
    accepted: a second request with it is a replay."""

    __tablename__ = "svc_signature_nonces"

    terminal_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime, index=True)

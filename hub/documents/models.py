"""Tables of the 电子档案 (electronic archive of issued documents) and of the
phone download links.

An issued document keeps its SHA-256, signer and status for as long as the
hub runs (what /verify answers); the signed PDF itself is kept sealed with the
data key (it names the holder) for the reprint window only, then dropped, as
the printables are (hub/services/documents.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base


class IssuedDocumentRow(Base):
    __tablename__ = "doc_issued"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)  # the verification code
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(64))
    person_ref: Mapped[str] = mapped_column(String(32), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    signer: Mapped[str] = mapped_column(String(200))  # the seal certificate's subject
    issued_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    status: Mapped[str] = mapped_column(String(16), default="valid")  # valid | revoked
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    pdf_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)  # None after retention


class PhoneLinkRow(Base):
    """A one-time download link: only the token's SHA-256 is kept, so the
    database cannot hand out a working link."""

    __tablename__ = "doc_phone_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(ForeignKey("doc_issued.code"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    downloads_left: Mapped[int] = mapped_column(Integer)


class DownloadEventRow(Base):
    """Every attempt to download a document through a phone link or /verify
    (audited: the issue asks for it), with no address or personal data."""

    __tablename__ = "doc_download_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), index=True)
    via: Mapped[str] = mapped_column(String(16))  # phone_link | verify | terminal
    outcome: Mapped[str] = mapped_column(String(16))  # served | expired | used_up | unknown
    at: Mapped[datetime] = mapped_column(DateTime)

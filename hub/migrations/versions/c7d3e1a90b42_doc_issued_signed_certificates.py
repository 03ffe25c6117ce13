"""doc_issued, doc_phone_links, doc_download_events: signed certificates

Revision ID: c7d3e1a90b42
Revises: b7e2c41d9a05
Create Date: 2026-12-03 18:15:00

The 电子档案 of issued PDFs (hash, signer, status; the sealed file for the
reprint window), the one-time phone links (token hashes only) and the audit
of every download (hub/documents/models.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c7d3e1a90b42"
down_revision = "b7e2c41d9a05"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "doc_issued",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("person_ref", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("signer", sa.String(length=200), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("pdf_sealed", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("doc_issued", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_doc_issued_issued_at"), ["issued_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_doc_issued_person_ref"), ["person_ref"], unique=False)
    op.create_table(
        "doc_phone_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("downloads_left", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["code"], ["doc_issued.code"]),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("doc_phone_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_doc_phone_links_code"), ["code"], unique=False)
    op.create_table(
        "doc_download_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("doc_download_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_doc_download_events_code"), ["code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("doc_download_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_doc_download_events_code"))
    op.drop_table("doc_download_events")
    with op.batch_alter_table("doc_phone_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_doc_phone_links_code"))
    op.drop_table("doc_phone_links")
    with op.batch_alter_table("doc_issued", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_doc_issued_person_ref"))
        batch_op.drop_index(batch_op.f("ix_doc_issued_issued_at"))
    op.drop_table("doc_issued")

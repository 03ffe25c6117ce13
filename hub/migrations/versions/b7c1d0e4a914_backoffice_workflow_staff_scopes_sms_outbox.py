"""backoffice: application workflow columns, staff scopes, SMS outbox, deadline warnings, upstream records

Catalogue items remember the digest of the guide last taken from the file
(so that an edit to the file reaches an item nobody edited on the hub).
Applications gain the waybill number of a posted result; their events the
back-office action and the staff account that took it (empty for the rows
written before: the terminal's submissions). Staff accounts get the
departments and items they handle; progress SMS travel through an outbox.

Revision ID: b7c1d0e4a914
Revises: c7d3e1a90b42
Create Date: 2026-12-03 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b7c1d0e4a914"
down_revision = "c7d3e1a90b42"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("svc_catalogue_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_digest", sa.String(length=64), nullable=True))
    with op.batch_alter_table("svc_applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waybill_no", sa.String(length=40), nullable=True))
    with op.batch_alter_table("svc_application_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("action", sa.String(length=24), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("actor", sa.String(length=60), nullable=False, server_default="")
        )
    # The defaults only filled the existing rows; the models set every new one.
    with op.batch_alter_table("svc_application_events", schema=None) as batch_op:
        batch_op.alter_column("action", server_default=None)
        batch_op.alter_column("actor", server_default=None)

    op.create_table(
        "bo_staff_scopes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=128), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("operator_id", "department", "item_id"),
    )
    with op.batch_alter_table("bo_staff_scopes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bo_staff_scopes_operator_id"), ["operator_id"], unique=False
        )

    op.create_table(
        "bo_sms_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("phone_sealed", sa.String(length=200), nullable=False),
        sa.Column("phone_masked", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("bo_sms_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_bo_sms_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_bo_sms_outbox_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "bo_deadline_warnings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["svc_applications.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("application_id", "level"),
    )
    with op.batch_alter_table("bo_deadline_warnings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bo_deadline_warnings_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "bo_upstream_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=80), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("batch_id", sa.String(length=40), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_id"),
    )
    with op.batch_alter_table("bo_upstream_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bo_upstream_records_batch_id"), ["batch_id"], unique=False
        )
        batch_op.create_index("ix_bo_upstream_records_unsent", ["sent_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bo_upstream_records", schema=None) as batch_op:
        batch_op.drop_index("ix_bo_upstream_records_unsent")
        batch_op.drop_index(batch_op.f("ix_bo_upstream_records_batch_id"))
    op.drop_table("bo_upstream_records")
    with op.batch_alter_table("bo_deadline_warnings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bo_deadline_warnings_application_id"))
    op.drop_table("bo_deadline_warnings")
    with op.batch_alter_table("bo_sms_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bo_sms_outbox_created_at"))
        batch_op.drop_index("ix_bo_sms_outbox_due")
    op.drop_table("bo_sms_outbox")
    with op.batch_alter_table("bo_staff_scopes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bo_staff_scopes_operator_id"))
    op.drop_table("bo_staff_scopes")
    with op.batch_alter_table("svc_application_events", schema=None) as batch_op:
        batch_op.drop_column("actor")
        batch_op.drop_column("action")
    with op.batch_alter_table("svc_applications", schema=None) as batch_op:
        batch_op.drop_column("waybill_no")
    with op.batch_alter_table("svc_catalogue_items", schema=None) as batch_op:
        batch_op.drop_column("file_digest")

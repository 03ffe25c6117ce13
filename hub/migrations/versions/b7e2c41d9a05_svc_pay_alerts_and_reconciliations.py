"""svc_pay_alerts and svc_pay_reconciliations: payment channel alerts and daily 对账

Revision ID: b7e2c41d9a05
Revises: df985477bbf6
Create Date: 2026-12-03 17:40:00

The tables of hub/services/payments/models.py that issue 20 adds: alerts a
payment channel raises (forged signatures, reconciliation findings) and one
record per channel and reconciled day.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b7e2c41d9a05"
down_revision = "df985477bbf6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "svc_pay_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.String(length=400), nullable=False),
        sa.Column("open_key", sa.String(length=120), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_key"),
    )
    with op.batch_alter_table("svc_pay_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_svc_pay_alerts_raised_at"), ["raised_at"], unique=False)
    op.create_table(
        "svc_pay_reconciliations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ran_at", sa.DateTime(), nullable=False),
        sa.Column("mismatches", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "day", name="uq_svc_pay_reconciliation_day"),
    )


def downgrade() -> None:
    op.drop_table("svc_pay_reconciliations")
    with op.batch_alter_table("svc_pay_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_svc_pay_alerts_raised_at"))
    op.drop_table("svc_pay_alerts")

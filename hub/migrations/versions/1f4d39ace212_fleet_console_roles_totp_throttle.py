"""fleet: console roles split (三权分立), TOTP, forced password change, login throttle

The single ``admin`` role is split into system, security and audit
administrators. Existing ``admin`` accounts become ``system_admin``: they keep
running the fleet, and nobody silently gains the right to manage accounts or
read the audit log. A hub upgraded from the single role therefore has no
security administrator yet: make one on the hub host with
``python -m hub --config … operators create NAME --role security_admin``
(demo mode seeds its own ``security`` and ``auditor`` accounts at start).

Failed logins move from per-account counters (a lock anyone could trigger)
to the ``fleet_login_throttle`` table of growing delays; the old counters are
dropped.

Written beside f96e7aea456d (audit chain, sealed contact data) on the same
parent and put after it when the two were merged: the steps are independent
(this one touches only ``fleet_operators`` and a new table; neither writes
audit rows or sessions), so each one's data steps hold in either order; and
the TOTP secrets this adds are sealed with the data key that one introduces.

Revision ID: 1f4d39ace212
Revises: f96e7aea456d
Create Date: 2026-12-03 15:29:23.110030
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "1f4d39ace212"
down_revision = "f96e7aea456d"
branch_labels = None
depends_on = None

_operators = sa.table("fleet_operators", sa.column("role", sa.String))


def upgrade() -> None:
    op.create_table(
        "fleet_login_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("fleet_login_throttle", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fleet_login_throttle_last_failure_at"), ["last_failure_at"], unique=False
        )

    with op.batch_alter_table("fleet_operators", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("demo_account", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.alter_column(
            "role",
            existing_type=sa.VARCHAR(length=12),
            type_=sa.String(length=20),
            existing_nullable=False,
        )
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")
    # The defaults only filled the existing rows; the models set every new one.
    with op.batch_alter_table("fleet_operators", schema=None) as batch_op:
        batch_op.alter_column("must_change_password", server_default=None)
        batch_op.alter_column("demo_account", server_default=None)

    op.execute(_operators.update().where(_operators.c.role == "admin").values(role="system_admin"))


def downgrade() -> None:
    # Every administrator becomes the old all-powerful admin again.
    op.execute(
        _operators.update()
        .where(_operators.c.role.in_(("system_admin", "security_admin", "auditor")))
        .values(role="admin")
    )
    with op.batch_alter_table("fleet_operators", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.INTEGER(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("locked_until", sa.DATETIME(), nullable=True))
        batch_op.alter_column(
            "role",
            existing_type=sa.String(length=20),
            type_=sa.VARCHAR(length=12),
            existing_nullable=False,
        )
        batch_op.drop_column("demo_account")
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_secret")
        batch_op.drop_column("must_change_password")

    with op.batch_alter_table("fleet_login_throttle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fleet_login_throttle_last_failure_at"))

    op.drop_table("fleet_login_throttle")

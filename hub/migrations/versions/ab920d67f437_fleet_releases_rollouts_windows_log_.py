"""fleet: releases, rollouts, windows, log requests (over-the-air updates, issue 18)

New tables only; nothing existing changes, so the way back (downgrade) just
drops them. Terminals keep their journal and credential outside the
application slots, so no terminal-side data depends on these tables.

Revision ID: ab920d67f437
Revises: b7e2c4d19a30
Create Date: 2026-12-03 17:28:31.132889
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "ab920d67f437"
down_revision = "b7e2c4d19a30"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fleet_releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=120), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("approved_by", sa.String(length=60), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version"),
    )
    op.create_table(
        "fleet_windows",
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("maintenance_start", sa.String(length=5), nullable=False),
        sa.Column("maintenance_end", sa.String(length=5), nullable=False),
        sa.Column("reboot_at", sa.String(length=5), nullable=True),
        sa.Column("screen_on", sa.String(length=5), nullable=True),
        sa.Column("screen_off", sa.String(length=5), nullable=True),
        sa.Column("updated_by", sa.String(length=60), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scope"),
    )
    op.create_table(
        "fleet_log_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=True),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("requested_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["fleet_terminals.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("fleet_log_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_fleet_log_requests_terminal_state", ["terminal_id", "state"], unique=False
        )

    op.create_table(
        "fleet_rollouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("waves_json", sa.Text(), nullable=False),
        sa.Column("current_wave", sa.Integer(), nullable=False),
        sa.Column("wave_started_at", sa.DateTime(), nullable=False),
        sa.Column("wave_settled_at", sa.DateTime(), nullable=True),
        sa.Column("healthy_period_s", sa.Integer(), nullable=False),
        sa.Column("failure_threshold_pct", sa.Integer(), nullable=False),
        sa.Column("pause_reason", sa.String(length=400), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["fleet_releases.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("fleet_rollouts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fleet_rollouts_state"), ["state"], unique=False)

    op.create_table(
        "fleet_rollout_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rollout_id", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=400), nullable=False),
        sa.Column("log_tail", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rollout_id"],
            ["fleet_rollouts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["fleet_terminals.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rollout_id", "terminal_id", name="uq_fleet_rollout_target"),
    )
    with op.batch_alter_table("fleet_rollout_targets", schema=None) as batch_op:
        batch_op.create_index("ix_fleet_rollout_targets_terminal", ["terminal_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fleet_rollout_targets", schema=None) as batch_op:
        batch_op.drop_index("ix_fleet_rollout_targets_terminal")

    op.drop_table("fleet_rollout_targets")
    with op.batch_alter_table("fleet_rollouts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fleet_rollouts_state"))

    op.drop_table("fleet_rollouts")
    with op.batch_alter_table("fleet_log_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_fleet_log_requests_terminal_state")

    op.drop_table("fleet_log_requests")
    op.drop_table("fleet_windows")
    op.drop_table("fleet_releases")

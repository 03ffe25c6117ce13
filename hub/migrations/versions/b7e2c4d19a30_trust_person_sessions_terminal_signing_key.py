"""trust: person sessions, signature nonces, terminal signing keys, orders owned by a terminal

A person's data is served only inside a person session opened on signed card
evidence (DESIGN §7, issue 13):

- ``svc_person_sessions``: each attempt to open one (refused ones too: the
  hourly quota counts them), the SHA-256 of the handle, never the handle;
- ``svc_signature_nonces``: the nonces a terminal signed with, kept while
  their timestamp could still pass, so a replay is refused;
- ``fleet_terminals.signing_key``: the terminal's Ed25519 public key. Terminals
  enrolled before this have none: their agent sends one (``POST
  /api/v1/terminal/key``) at its next start;
- ``svc_pay_orders.terminal_id`` / ``person_session_id``: who made an order.
  Orders made before this belong to no terminal, so no terminal can read or
  cancel them any more; the hub's sweep still brings them to a final state.

Revision ID: b7e2c4d19a30
Revises: b7c1d0e4a914
Create Date: 2026-12-03 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b7e2c4d19a30"
down_revision = "b7c1d0e4a914"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "svc_person_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("handle_hash", sa.String(length=64), nullable=True),
        sa.Column("person_ref", sa.String(length=32), nullable=True),
        sa.Column("card", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("handle_hash"),
    )
    op.create_index(
        "ix_svc_person_sessions_terminal_opened",
        "svc_person_sessions",
        ["terminal_id", "opened_at"],
        unique=False,
    )
    op.create_table(
        "svc_signature_nonces",
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("terminal_id", "nonce"),
    )
    op.create_index(
        op.f("ix_svc_signature_nonces_seen_at"), "svc_signature_nonces", ["seen_at"], unique=False
    )
    with op.batch_alter_table("fleet_terminals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signing_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("signing_key_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("svc_pay_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("terminal_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("person_session_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_svc_pay_orders_terminal_id"), ["terminal_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("svc_pay_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_svc_pay_orders_terminal_id"))
        batch_op.drop_column("person_session_id")
        batch_op.drop_column("terminal_id")
    with op.batch_alter_table("fleet_terminals", schema=None) as batch_op:
        batch_op.drop_column("signing_key_at")
        batch_op.drop_column("signing_key")
    op.drop_index(op.f("ix_svc_signature_nonces_seen_at"), table_name="svc_signature_nonces")
    op.drop_table("svc_signature_nonces")
    op.drop_index("ix_svc_person_sessions_terminal_opened", table_name="svc_person_sessions")
    op.drop_table("svc_person_sessions")

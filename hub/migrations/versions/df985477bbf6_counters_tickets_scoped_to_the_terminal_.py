"""counters: tickets scoped to the terminal's service point, one rating per kiosk session

Issue 13, attack class 9. A terminal names its service point (a catalogue code)
at enrolment; queue tickets record who drew them, so that a terminal draws only
at its own point and within a rate limit. Ratings record their terminal, and a
unique index keeps one per (terminal, kiosk session). Rows stored before have
no terminal (NULL): several NULLs never clash in a unique index, on SQLite as
on PostgreSQL. Terminals enrolled before have no service point and draw no
tickets until enrolled again with one.

Revision ID: df985477bbf6
Revises: 1f4d39ace212
Create Date: 2026-12-03 17:28:01.374279
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'df985477bbf6'
down_revision = '1f4d39ace212'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fleet_terminals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_point', sa.String(length=64), nullable=True))

    with op.batch_alter_table('svc_ratings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('terminal_id', sa.Integer(), nullable=True))
        batch_op.create_index('ux_svc_ratings_terminal_session', ['terminal_id', 'terminal_session_id'], unique=True)

    with op.batch_alter_table('svc_tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('terminal_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_svc_tickets_terminal_issued', ['terminal_id', 'issued_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('svc_tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_svc_tickets_terminal_issued')
        batch_op.drop_column('terminal_id')

    with op.batch_alter_table('svc_ratings', schema=None) as batch_op:
        batch_op.drop_index('ux_svc_ratings_terminal_session')
        batch_op.drop_column('terminal_id')

    with op.batch_alter_table('fleet_terminals', schema=None) as batch_op:
        batch_op.drop_column('service_point')


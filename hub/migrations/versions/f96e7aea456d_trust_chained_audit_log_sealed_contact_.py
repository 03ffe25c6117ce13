"""trust: chained audit log, sealed contact data, hashed console session ids

Revision ID: f96e7aea456d
Revises: e279499a5bce
Create Date: 2026-12-03 15:32:54.454364

Existing rows are brought along, not dropped:

- audit rows are chained in id order with SHA-256 (the hash is computed here,
  with the rule of hub/fleet/audit_chain.py at this revision);
- console session ids become their SHA-256 digests (the cookies in browsers
  keep working under the standard suite);
- contact phones and postal addresses are sealed with the hub's data key, which
  hub.schema.upgrade hands in (``data_cipher``); without it, a database that
  holds applications is not migrated (the hub says why and stops).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision = "f96e7aea456d"
down_revision = "e279499a5bce"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
_FIELDS = ("at", "actor", "action", "target", "detail", "result", "client")


def _canonical(seq: int, prev_hash: str, row: Any) -> bytes:
    values: list[Any] = [seq, prev_hash]
    for name in _FIELDS:
        value = getattr(row, name)
        values.append(value.isoformat(timespec="microseconds") if name == "at" else value)
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def upgrade() -> None:
    bind = op.get_bind()
    # Checked before any change: SQLite's DDL here is not rolled back on failure.
    cipher = context.config.attributes.get("data_cipher")
    has_contacts = bind.execute(sa.text("SELECT 1 FROM svc_applications LIMIT 1")).first()
    if has_contacts is not None and cipher is None:
        raise RuntimeError(
            "svc_applications holds contact data to encrypt: run the hub (python -m hub) "
            "with its data_key_file to migrate"
        )
    op.create_table(
        "fleet_audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("alg", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("fleet_audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash_alg", sa.String(length=8), nullable=True))

    log = sa.table(
        "fleet_audit_log",
        sa.column("id", sa.Integer),
        sa.column("at", sa.DateTime),
        *(sa.column(name, sa.String) for name in _FIELDS[1:]),
        sa.column("seq", sa.Integer),
        sa.column("prev_hash", sa.String),
        sa.column("row_hash", sa.String),
        sa.column("hash_alg", sa.String),
    )
    prev, seq = GENESIS, 0
    for row in bind.execute(sa.select(log).order_by(log.c.id)).all():
        seq += 1
        this = hashlib.sha256(_canonical(seq, prev, row)).hexdigest()
        bind.execute(
            log.update()
            .where(log.c.id == row.id)
            .values(seq=seq, prev_hash=prev, row_hash=this, hash_alg="sha256")
        )
        prev = this
    head = sa.table(
        "fleet_audit_head",
        sa.column("id", sa.Integer),
        sa.column("seq", sa.Integer),
        sa.column("last_hash", sa.String),
        sa.column("alg", sa.String),
    )
    bind.execute(head.insert().values(id=1, seq=seq, last_hash=prev, alg="sha256"))
    with op.batch_alter_table("fleet_audit_log", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("row_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash_alg", existing_type=sa.String(length=8), nullable=False)
        batch_op.create_unique_constraint("uq_fleet_audit_log_seq", ["seq"])

    sessions = sa.table("fleet_operator_sessions", sa.column("id", sa.String))
    for (session_id,) in bind.execute(sa.select(sessions.c.id)).all():
        digest = hashlib.sha256(session_id.encode("ascii")).hexdigest()
        bind.execute(sessions.update().where(sessions.c.id == session_id).values(id=digest))

    with op.batch_alter_table("svc_applications", schema=None) as batch_op:
        batch_op.alter_column(
            "contact_phone",
            existing_type=sa.VARCHAR(length=20),
            type_=sa.String(length=200),
            existing_nullable=False,
        )
    if has_contacts is not None:
        _seal_contact_data(bind, cipher)


def _seal_contact_data(bind: Any, cipher: Any) -> None:
    apps = sa.table(
        "svc_applications",
        sa.column("id", sa.Integer),
        sa.column("contact_phone", sa.String),
        sa.column("delivery_address", sa.Text),
    )
    for row in bind.execute(sa.select(apps)).all():
        bind.execute(
            apps.update()
            .where(apps.c.id == row.id)
            .values(
                contact_phone=cipher.seal(row.contact_phone, "svc_applications.contact_phone"),
                delivery_address=None
                if row.delivery_address is None
                else cipher.seal(row.delivery_address, "svc_applications.delivery_address"),
            )
        )


def downgrade() -> None:
    # Sealed contact data and hashed session ids cannot be turned back; the
    # chain columns are dropped.
    with op.batch_alter_table("fleet_audit_log", schema=None) as batch_op:
        batch_op.drop_constraint("uq_fleet_audit_log_seq", type_="unique")
        batch_op.drop_column("hash_alg")
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
    op.drop_table("fleet_audit_head")

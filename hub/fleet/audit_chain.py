"""The audit log as a hash chain: altering, removing or inserting any row is
detected by :func:`verify`, which names the first row that no longer fits.

Each row carries ``seq`` (1, 2, 3… without gaps), ``prev_hash`` (the row
before's ``row_hash``; :data:`GENESIS` for the first) and ``row_hash`` = the
digest (:mod:`hub.crypto`: SHA-256, or SM3 under 国密) of the row's canonical
form (:func:`canonical`). The head row (``fleet_audit_head``) keeps the last
``seq`` and hash, so that cutting rows off the end is detected too.

**Concurrent writers** (several hub processes on one PostgreSQL, or the
console and the terminal API of one process): a writer first UPDATEs the head
row, which locks it (a row lock on PostgreSQL, the database write lock on
SQLite) until the writer's transaction ends; the next writer waits there. So
rows are numbered and chained in one order, and a rolled-back transaction
takes its row and its head update back together. Audit rows are few (operator
actions, enrolments, refusals): serialising them costs nothing noticeable.

What the chain does not stop: someone with write access to the database who
recomputes every hash after the row they changed. Exported copies
(``python -m hub audit export``) kept elsewhere, and the last hash noted by the
auditor, show that too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from hub.crypto import digest
from hub.fleet.models import AuditChainHead, AuditEntry

GENESIS = "0" * 64
HEAD_ID = 1
CHAINED_FIELDS = ("at", "actor", "action", "target", "detail", "result", "client")


def canonical(seq: int, prev_hash: str, row: dict[str, Any]) -> bytes:
    """The bytes a row's hash is taken over: JSON of seq, the previous hash and
    the row's fields in a fixed order (times as ISO 8601 with microseconds)."""
    values: list[Any] = [seq, prev_hash]
    for name in CHAINED_FIELDS:
        value = row[name]
        values.append(value.isoformat(timespec="microseconds") if name == "at" else value)
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def row_hash(alg: str, seq: int, prev_hash: str, row: dict[str, Any]) -> str:
    return digest(alg, canonical(seq, prev_hash, row))


def set_algorithm(conn: Connection, alg: str) -> None:
    """Make ``alg`` the digest of rows appended from now on (at hub start, from
    ``crypto``); rows already written keep theirs."""
    _lock_head(conn)
    conn.execute(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(alg=alg))


def append(conn: Connection, row: dict[str, Any]) -> None:
    """Append ``row`` (the :data:`CHAINED_FIELDS`) to the chain, in the caller's
    transaction; waits for any other writer's transaction to end first."""
    seq, prev, alg = _lock_head(conn)
    seq += 1
    this = row_hash(alg, seq, prev, row)
    conn.execute(
        insert(AuditEntry).values(**row, seq=seq, prev_hash=prev, row_hash=this, hash_alg=alg)
    )
    conn.execute(
        update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(seq=seq, last_hash=this)
    )


def _lock_head(conn: Connection) -> tuple[int, str, str]:
    """Lock the head row (creating it on a schema made without the migration)
    and return its (seq, last_hash, alg)."""
    for _ in range(2):
        # A no-op write: it is what takes the lock before anything is read.
        locked = conn.execute(
            update(AuditChainHead)
            .where(AuditChainHead.id == HEAD_ID)
            .values(seq=AuditChainHead.seq)
        )
        if locked.rowcount == 1:
            head = conn.execute(
                select(AuditChainHead.seq, AuditChainHead.last_hash, AuditChainHead.alg).where(
                    AuditChainHead.id == HEAD_ID
                )
            ).one()
            return int(head.seq), str(head.last_hash), str(head.alg)
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(AuditChainHead).values(
                        id=HEAD_ID, seq=0, last_hash=GENESIS, alg="sha256"
                    )
                )
        except IntegrityError:
            pass  # another writer created it first: lock it on the next pass
    raise RuntimeError("the audit chain head cannot be locked")


@dataclass(frozen=True)
class Verdict:
    """The outcome of :func:`verify`: ``ok``, rows checked, and for a broken
    chain the first row that does not fit (``broken_seq``/``broken_id``) and why."""

    ok: bool
    rows: int
    last_hash: str
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.rows} rows, last hash {self.last_hash}"
        where = f"row seq={self.broken_seq}" + (
            f" (id {self.broken_id})" if self.broken_id is not None else ""
        )
        return f"audit chain BROKEN at {where}: {self.reason}"


def entries(conn: Connection) -> Iterator[dict[str, Any]]:
    """Every audit row in chain order, as dicts (for verify and export)."""
    result = conn.execute(select(AuditEntry).order_by(AuditEntry.seq, AuditEntry.id))
    for row in result.mappings():
        yield dict(row)


def verify(conn: Connection) -> Verdict:
    """Walk the chain from the first row; the first row that does not fit breaks it."""
    prev = GENESIS
    expected = 1
    count = 0
    for row in entries(conn):
        seq, row_id = row["seq"], row["id"]
        if seq != expected:
            missing = "a row is missing before it" if seq > expected else "seq out of order"
            why = f"expected seq {expected}: {missing}"
            return Verdict(False, count, prev, expected, row_id, why)
        if row["prev_hash"] != prev:
            return Verdict(
                False, count, prev, seq, row_id, "prev_hash does not match the row before"
            )
        try:
            recomputed = row_hash(row["hash_alg"], seq, prev, row)
        except ValueError as exc:
            return Verdict(False, count, prev, seq, row_id, str(exc))
        if recomputed != row["row_hash"]:
            return Verdict(False, count, prev, seq, row_id, "contents altered (hash differs)")
        prev = row["row_hash"]
        expected += 1
        count += 1
    head = conn.execute(
        select(AuditChainHead.seq, AuditChainHead.last_hash).where(AuditChainHead.id == HEAD_ID)
    ).first()
    if head is not None and (head.seq != count or head.last_hash != prev):
        return Verdict(
            False,
            count,
            prev,
            count + 1,
            None,
            f"the chain ends at seq {count} but its head says {head.seq}: rows removed at the end",
        )
    return Verdict(True, count, prev)

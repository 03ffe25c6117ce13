"""The audit log's hash chain (hub/fleet/audit_chain.py) on SQLite and
PostgreSQL: concurrent writers from several processes' worth of connections
still make one unbroken chain, and any change is named by row."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, delete, text, update

from hub.db import make_engine
from hub.fleet import audit, audit_chain
from hub.fleet.models import AuditEntry
from tests.hub.conftest import prepare_schema

WRITERS = 8
EACH = 15


@pytest.fixture
def engine(db_url: str) -> Engine:
    prepare_schema(db_url)
    return make_engine(db_url)


def _write(engine: Engine, n: int, actor: str) -> None:
    for i in range(n):
        with engine.begin() as conn:
            audit.record(conn, actor, "command", f"terminal:{i}", "测试", "ok", "127.0.0.1")


def test_concurrent_writers_make_one_unbroken_chain(engine: Engine) -> None:
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            _write(engine, EACH, f"op{k}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        verdict = audit_chain.verify(conn)
        seqs = [r["seq"] for r in audit_chain.entries(conn)]
    assert verdict.ok, str(verdict)
    assert verdict.rows == WRITERS * EACH
    assert seqs == list(range(1, WRITERS * EACH + 1))
    engine.dispose()


def test_a_rolled_back_entry_leaves_no_gap(engine: Engine) -> None:
    _write(engine, 2, "a")
    with pytest.raises(RuntimeError), engine.begin() as conn:
        audit.record(conn, "b", "command")
        raise RuntimeError("the action failed")
    _write(engine, 1, "c")
    with engine.connect() as conn:
        verdict = audit_chain.verify(conn)
    assert verdict.ok and verdict.rows == 3, str(verdict)
    engine.dispose()


@pytest.mark.parametrize("tamper", ["edit", "delete_middle", "delete_last", "insert"])
def test_tampering_is_named_by_row(engine: Engine, tamper: str) -> None:
    _write(engine, 5, "admin")
    with engine.begin() as conn:
        # Behind the ORM's back, as someone with database access would.
        if tamper == "edit":
            conn.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(detail="改过"))
        elif tamper == "delete_middle":
            conn.execute(delete(AuditEntry).where(AuditEntry.seq == 3))
        elif tamper == "delete_last":
            conn.execute(delete(AuditEntry).where(AuditEntry.seq == 5))
        else:
            conn.execute(
                text(
                    "INSERT INTO fleet_audit_log (at, actor, action, target, detail, result,"
                    " client, seq, prev_hash, row_hash, hash_alg) SELECT at, 'mallory', action,"
                    " target, detail, result, client, 99, prev_hash, row_hash, hash_alg"
                    " FROM fleet_audit_log WHERE seq = 2"
                )
            )
    with engine.connect() as conn:
        verdict = audit_chain.verify(conn)
    engine.dispose()
    assert not verdict.ok
    expected = {"edit": 3, "delete_middle": 3, "delete_last": 5, "insert": 6}[tamper]
    assert verdict.broken_seq == expected, str(verdict)
    assert f"seq={expected}" in str(verdict)


def test_sm3_rows_verify_and_differ_from_sha256(engine: Engine) -> None:
    _write(engine, 2, "a")
    with engine.begin() as conn:
        audit_chain.set_algorithm(conn, "sm3")
    _write(engine, 2, "b")
    with engine.connect() as conn:
        rows = list(audit_chain.entries(conn))
        verdict = audit_chain.verify(conn)
    engine.dispose()
    assert [r["hash_alg"] for r in rows] == ["sha256", "sha256", "sm3", "sm3"]
    assert verdict.ok, str(verdict)
    again = audit_chain.row_hash("sha256", 3, rows[1]["row_hash"], rows[2])
    assert again != rows[2]["row_hash"]


def test_migration_chains_rows_written_before_it(db_url: str) -> None:
    from alembic import command

    from hub.schema import alembic_config

    engine = make_engine(db_url)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "e279499a5bce")  # the schema before the chain
        for i in range(4):
            conn.execute(
                text(
                    "INSERT INTO fleet_audit_log (at, actor, action, target, detail, result,"
                    " client) VALUES (:at, 'admin', 'login', '', :d, 'ok', '')"
                ),
                {"at": f"2026-11-0{i + 1} 08:00:00.000000", "d": f"旧记录{i}"},
            )
    from hub.schema import upgrade

    upgrade(engine)
    _write(engine, 1, "new")
    with engine.connect() as conn:
        verdict = audit_chain.verify(conn)
    engine.dispose()
    assert verdict.ok and verdict.rows == 5, str(verdict)

"""Journal: chain, tamper and torn-row detection, personal data, quota, full disk,
retention (DESIGN §6, specs/payments-and-privacy.md "Journal")."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.journal import (
    GENESIS_HASH,
    Journal,
    JournalFull,
    PersonalDataError,
    canonical_json,
    find_personal_data,
    row_json,
)
from kiosk.sealed import Sealer
from tests.tools import require_tool


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = Journal(tmp_path / "journal.sqlite")
    yield j
    j.close()


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def test_append_returns_chained_records_that_verify(journal: Journal) -> None:
    first = journal.append("session_start", {"mode": "elder"})
    second = journal.append("print", {"pages": 1, "what": "社保缴费证明"})
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash != second.hash
    assert first.key == f"{journal.journal_id}:1"
    assert datetime.fromisoformat(second.at).tzinfo is not None
    report = journal.verify()
    assert report.ok, report.summary()
    assert (report.checked, report.last_seq) == (2, 2)
    assert [r.data for r in journal.records()] == [{"mode": "elder"}, second.data]


def test_chain_continues_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    j = Journal(path)
    last = j.append("session_start", {})
    journal_id = j.journal_id
    j.close()
    j = Journal(path)
    again = j.append("session_end", {"reason": "timeout"})
    assert j.journal_id == journal_id
    assert (again.seq, again.prev_hash) == (2, last.hash)
    assert j.verify().ok
    j.close()


def test_records_cannot_be_updated_through_sqlite(journal: Journal) -> None:
    journal.append("print", {"pages": 1})
    with _raw(journal.path) as db, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE records SET data = '{}' WHERE seq = 1")


def test_tampered_row_is_named_by_seq(journal: Journal) -> None:
    for n in range(5):
        journal.append("payment_step", {"step": n, "amount_fen": 1000})
    db = _raw(journal.path)
    db.execute("DROP TRIGGER records_append_only")  # what a tamperer would do first
    db.execute("""UPDATE records SET data = '{"amount_fen":1,"step":2}' WHERE seq = 3""")
    db.close()
    report = journal.verify()
    assert not report.ok
    assert [(p.seq, p.reason.split(":")[0]) for p in report.problems] == [(3, "hash mismatch")]
    assert "seq 3" in report.summary()


def test_torn_row_and_gap_are_reported(journal: Journal) -> None:
    for n in range(4):
        journal.append("service_step", {"n": n})
    last = journal.records()[-1]
    db = _raw(journal.path)
    # A row whose data was cut off mid-write, and a deleted row before it.
    db.execute(
        "INSERT INTO records VALUES (5, 'k5', ?, 'print', '{\"pag', ?, ?)",
        (last.at, last.hash, "f" * 64),
    )
    db.execute("DELETE FROM records WHERE seq = 2")
    db.close()
    problems = {(p.seq, p.reason.split(":")[0]) for p in journal.verify().problems}
    assert (5, "torn row") in problems
    assert (3, "gap") in problems
    assert (3, "chain broken") in problems


def test_damaged_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    j = Journal(path)
    for n in range(300):
        j.append("service_step", {"n": n, "pad": "x" * 200})
    j.close()
    subprocess.run(
        [require_tool("sqlite3"), str(path), "PRAGMA wal_checkpoint(TRUNCATE);"],
        capture_output=True,
        check=True,
    )
    size = path.stat().st_size
    with path.open("r+b") as f:  # scribble over the middle of the b-tree
        f.seek(size // 2)
        f.write(b"\xff" * 4096)
    j = Journal(path)
    report = j.verify()
    j.close()
    assert not report.ok
    assert "malformed" in report.summary()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"id": "410102199001011234"}, "data.id"),
        ({"id": "41010219900101123X"}, "data.id"),
        ({"note": "卡号6222021234567890123已读"}, "data.note"),
        ({"card": "6222 0212 3456 7890"}, "data.card"),
        ({"pay": {"codes": ["134567890123456789"]}}, "data.pay.codes[0]"),
        ({"pan": 6222021234567890}, "data.pan"),
    ],
)
def test_personal_data_is_refused_without_echoing_it(
    journal: Journal, data: dict[str, object], field: str
) -> None:
    with pytest.raises(PersonalDataError) as caught:
        journal.append("service_step", data)
    message = str(caught.value)
    assert field in message
    for digits in ("199001011234", "21234567890", "0212 3456", "4567890123456", "2021234567890"):
        assert digits not in message
    assert journal.last_seq() == 0


def test_ordinary_numbers_and_sealed_values_pass(journal: Journal, tmp_path: Path) -> None:
    sealer = Sealer(tmp_path / "seal.key")
    sealed = sealer.seal({"id_number": "410102199001011234", "name": "张三"})
    record = journal.append(
        "service_step",
        {
            "order": "HM20261122030511123456",  # letters in front: an order number
            "phone_tail": "1234",
            "amount_fen": 123456789,
            "at": "2026-11-22 03:05:11",
            "application": sealed,
        },
    )
    assert sealer.open(record.data["application"])["id_number"] == "410102199001011234"
    assert find_personal_data(record.data) == []


def test_quota_raises_journal_full_and_keeps_every_row(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.sqlite", quota_mb=0.1)
    acknowledged = []
    with pytest.raises(JournalFull):
        for n in range(10_000):
            acknowledged.append(j.append("service_step", {"n": n, "pad": "x" * 300}).seq)
    assert 50 < len(acknowledged) < 10_000
    assert JournalFull.user_message  # the app shows it while out of service
    with pytest.raises(JournalFull):  # still full: nothing was dropped to make room
        j.append("service_step", {"n": -1})
    assert [r.seq for r in j.records()] == acknowledged
    assert j.verify().ok
    j.close()


def test_full_disk_raises_journal_full_and_keeps_the_file_intact(tmp_path: Path) -> None:
    mount = tmp_path / "small"
    mount.mkdir()
    umount = require_tool("umount")
    done = subprocess.run(
        [require_tool("mount"), "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    try:
        # No reserve: let SQLite itself meet ENOSPC mid-commit.
        j = Journal(mount / "j.sqlite", quota_mb=100, disk_reserve_mb=0)
        acknowledged = []
        with pytest.raises(JournalFull):
            for n in range(10_000):
                acknowledged.append(j.append("print", {"n": n, "pad": "y" * 500}).seq)
        j.close()
        j = Journal(mount / "j.sqlite", quota_mb=100)
        assert [r.seq for r in j.records()] == acknowledged
        assert j.verify().ok
        with pytest.raises(JournalFull):  # the default reserve refuses before SQLite fails
            j.append("print", {"n": 0})
        j.close()
    finally:
        subprocess.run([umount, "-l", str(mount)], check=False)


def test_retention_purges_only_old_delivered_rows_and_the_chain_still_verifies(
    journal: Journal,
) -> None:
    for n in range(10):
        journal.append("service_step", {"n": n})
    assert journal.purge() == 0  # nothing delivered
    journal.mark_delivered(6)
    assert journal.purge() == 0  # delivered but young
    later = datetime.now(UTC) + timedelta(days=184)
    assert journal.purge(now=later) == 6
    assert [r.seq for r in journal.records()] == [7, 8, 9, 10]
    assert journal.verify().ok
    new = journal.append("session_end", {})
    assert new.seq == 11
    assert journal.verify().ok
    assert journal.backlog() == 5
    # The chain across the purge point is still checked: break row 7's link.
    db = _raw(journal.path)
    db.execute("UPDATE meta SET value = ? WHERE name = 'checkpoint_hash'", ("e" * 64,))
    db.close()
    assert [p.seq for p in journal.verify().problems] == [7]


def test_delivery_cursor_only_moves_forward(journal: Journal) -> None:
    for n in range(3):
        journal.append("print", {"n": n})
    journal.mark_delivered(2)
    journal.mark_delivered(1)
    assert journal.delivered_seq() == 2
    assert [r.seq for r in journal.pending(limit=10)] == [3]
    assert journal.backlog() == 1


def test_bad_kind_and_non_json_are_refused(journal: Journal) -> None:
    with pytest.raises(ValueError, match="kind"):
        journal.append("Session Start", {})
    with pytest.raises(ValueError, match="JSON"):
        journal.append("print", {"when": datetime.now(UTC)})


def test_row_json_is_the_canonical_json_of_the_row() -> None:
    data = {"b": [1, 2.5, None], "a": '社保 "quoted" \\ \n', "z": {"y": True}}
    at = "2026-11-22T03:00:00.000+00:00"
    row = {"seq": 7, "key": "j:7", "at": at, "kind": "print", "data": data}
    assert row_json(7, "j:7", at, "print", canonical_json(data)) == canonical_json(row)

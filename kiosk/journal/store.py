"""The terminal's electronic journal: append-only, hash-chained, crash-safe.

Every service step, payment step and print is written here BEFORE its side
effect (DESIGN §6; the jPOS rule in specs/payments-and-privacy.md "Journal").
SQLite in WAL mode with ``synchronous=FULL``: a commit that :meth:`Journal.append`
returned survives a crash or a power cut.

Rows are chained: ``hash = sha256(prev_hash + canonical JSON of the row)``, so an
edited, removed or torn row is found by :meth:`Journal.verify` at start-up
(等保 2.0 §8.1.4.3: audit records protected against modification and deletion).

Rows are never overwritten. A full disk or quota raises :class:`JournalFull`
(the app goes out of service — never silent loss, unlike the ATM ring buffer
anti-pattern). Retention only purges rows older than ``retention_days`` that
the hub has acknowledged, and keeps a checkpoint of the last purged hash so the
remaining chain still verifies.

Delivery to the hub (``kiosk.outbox``) keeps its cursor in the same file, so a
record and its delivery state change in one transaction.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.errors import KioskError
from kiosk.i18n import N_
from kiosk.journal.personal import PersonalDataError, find_personal_data
from kiosk.journal.records import (
    GENESIS_HASH,
    IntegrityProblem,
    IntegrityReport,
    JournalRecord,
    canonical_json,
    chain_hash,
    row_json,
)
from protocol.events import KIND_MAX

HUB_CURSOR = "hub"
"""Name of the delivery cursor the outbox keeps for the hub."""

_KIND = re.compile(rf"[a-z][a-z0-9_.:-]{{0,{KIND_MAX - 1}}}")  # as long as the hub keeps
MAX_DATA_BYTES = 256 * 1024
"""Largest ``data`` of one record: a batch of records must fit the hub's 1 MiB
request limit, and a record too big to upload would block the queue forever."""
_ROW_OVERHEAD_BYTES = 256  # key, hashes, time and b-tree cell overhead of one row
_MAX_PROBLEMS = 20

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS records_append_only BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'journal records are append-only'); END;
"""


class JournalError(KioskError):
    """The journal cannot be written or read."""

    user_message = N_("本机暂时无法记录业务，暂停服务，请联系工作人员")


class JournalFull(JournalError):
    """The quota or the disk is full: nothing was written, nothing was dropped.

    The app goes out of service with :attr:`user_message` and alerts the hub.
    """

    user_message = N_("本机记录空间已满，暂停服务，请联系工作人员")


def _is_full(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code == sqlite3.SQLITE_FULL or "full" in str(exc).lower()


class Journal:
    """An append-only journal in one SQLite file.

    Thread-safe (one connection behind a lock). Not shared between processes.
    ``quota_mb`` bounds the live data; ``retention_days`` is the minimum age of
    a delivered row before :meth:`purge` may remove it; appends stop while less
    than ``disk_reserve_mb`` is free on the disk (so SQLite never meets a full
    disk mid-commit — if it does anyway, that is :class:`JournalFull` too).
    """

    def __init__(
        self,
        path: str | Path,
        quota_mb: float = 512,
        retention_days: int = 183,
        *,
        disk_reserve_mb: float = 4.0,
    ) -> None:
        self.path = Path(path)
        self.disk_reserve_bytes = int(disk_reserve_mb * 1024 * 1024)
        self.quota_bytes = int(quota_mb * 1024 * 1024)
        self.retention = timedelta(days=retention_days)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._listeners: list[Callable[[JournalRecord], None]] = []
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE … COMMIT).
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            self._db.execute(
                "INSERT OR IGNORE INTO meta (name, value) VALUES ('journal_id', ?)",
                (uuid.uuid4().hex,),
            )
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise JournalError(f"cannot open journal {self.path}: {exc}") from exc
        self.journal_id = self._meta("journal_id") or ""

    # -- writing ---------------------------------------------------------------------------

    def append(self, kind: str, data: Mapping[str, Any]) -> JournalRecord:
        """Commit one record durably and return it.

        Raises :class:`PersonalDataError` (a ``ValueError``) when ``data`` holds
        something that looks like an ID or card number outside a sealed token,
        ``ValueError`` for a bad kind or non-JSON data, :class:`JournalFull` when
        the quota or the disk is full (nothing written), :class:`JournalError`
        for other storage failures.
        """
        if not _KIND.fullmatch(kind):
            raise ValueError(f"bad journal kind {kind!r}: lowercase, up to 40 characters")
        found = find_personal_data(data)
        if found:
            raise PersonalDataError(
                f"refusing to journal {kind!r}: {', '.join(found)} looks like personal data;"
                " seal it first (kiosk.sealed)"
            )
        plain = dict(data)
        try:
            body = canonical_json(plain)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"journal data for {kind!r} is not plain JSON: {exc}") from exc
        if len(body.encode()) > MAX_DATA_BYTES:
            raise ValueError(f"journal data for {kind!r} exceeds {MAX_DATA_BYTES // 1024} KiB")
        with self._lock:
            self._check_space(len(body) + _ROW_OVERHEAD_BYTES)
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    last_seq, prev_hash = self._head()
                    seq = last_seq + 1
                    key = f"{self.journal_id}:{seq}"
                    at = datetime.now(UTC).isoformat(timespec="milliseconds")
                    digest = chain_hash(prev_hash, row_json(seq, key, at, kind, body))
                    self._db.execute(
                        "INSERT INTO records (seq, key, at, kind, data, prev_hash, hash)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (seq, key, at, kind, body, prev_hash, digest),
                    )
                    self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                if _is_full(exc):
                    raise JournalFull(f"disk full while writing {self.path}") from exc
                raise JournalError(f"cannot write journal {self.path}: {exc}") from exc
        record = JournalRecord(seq, key, at, kind, plain, prev_hash, digest)
        for listener in list(self._listeners):
            listener(record)
        return record

    def _check_space(self, need: int) -> None:
        try:
            used = self.used_bytes()
        except sqlite3.Error as exc:  # e.g. the journal was closed
            raise JournalError(f"cannot use journal {self.path}: {exc}") from exc
        if used + need > self.quota_bytes:
            raise JournalFull(
                f"journal quota reached: {used // 1024} KiB used of {self.quota_bytes // 1024} KiB"
            )
        try:
            free = shutil.disk_usage(self.path.parent).free
        except OSError as exc:
            raise JournalError(f"cannot read free space of {self.path.parent}: {exc}") from exc
        if free < need + self.disk_reserve_bytes:
            raise JournalFull(f"disk full: {free // 1024} KiB free under {self.path.parent}")

    def used_bytes(self) -> int:
        """Bytes of live pages (freed pages of purged rows are reused first)."""
        page_count = self._db.execute("PRAGMA page_count").fetchone()[0]
        free_pages = self._db.execute("PRAGMA freelist_count").fetchone()[0]
        page_size = self._db.execute("PRAGMA page_size").fetchone()[0]
        return int((page_count - free_pages) * page_size)

    def _head(self) -> tuple[int, str]:
        row = self._db.execute("SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1").fetchone()
        if row is not None:
            return int(row[0]), str(row[1])
        return self._checkpoint()

    def _checkpoint(self) -> tuple[int, str]:
        seq = self._meta("checkpoint_seq")
        digest = self._meta("checkpoint_hash")
        return (int(seq), digest) if seq is not None and digest is not None else (0, GENESIS_HASH)

    def _meta(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def add_listener(self, listener: Callable[[JournalRecord], None]) -> None:
        """Call ``listener(record)`` after each commit (in the appending thread)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[JournalRecord], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # -- reading and delivery --------------------------------------------------------------

    def last_seq(self) -> int:
        with self._lock:
            return self._head()[0]

    def records(self, after_seq: int = 0, limit: int = -1) -> list[JournalRecord]:
        """Records with ``seq > after_seq`` in order, at most ``limit`` (-1: all)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, key, at, kind, data, prev_hash, hash FROM records"
                " WHERE seq > ? ORDER BY seq LIMIT ?",
                (after_seq, limit),
            ).fetchall()
        return [JournalRecord(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6]) for r in rows]

    def delivered_seq(self, cursor: str = HUB_CURSOR) -> int:
        """Every record with ``seq <=`` this has been acknowledged under ``cursor``."""
        with self._lock:
            row = self._db.execute("SELECT seq FROM cursors WHERE name = ?", (cursor,)).fetchone()
        return 0 if row is None else int(row[0])

    def pending(self, cursor: str = HUB_CURSOR, limit: int = 100) -> list[JournalRecord]:
        """The next undelivered records under ``cursor``, oldest first."""
        return self.records(self.delivered_seq(cursor), limit)

    def mark_delivered(self, through_seq: int, cursor: str = HUB_CURSOR) -> None:
        """Durably record that every record up to ``through_seq`` was acknowledged.

        The cursor only moves forward (a late, smaller acknowledgement is ignored).
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO cursors (name, seq) VALUES (?, ?)"
                    " ON CONFLICT(name) DO UPDATE SET seq = max(seq, excluded.seq)",
                    (cursor, through_seq),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def backlog(self, cursor: str = HUB_CURSOR) -> int:
        """How many records are not yet acknowledged under ``cursor``."""
        delivered = self.delivered_seq(cursor)
        with self._lock:
            return int(
                self._db.execute(
                    "SELECT COUNT(*) FROM records WHERE seq > ?", (delivered,)
                ).fetchone()[0]
            )

    # -- retention and integrity -----------------------------------------------------------

    def purge(self, now: datetime | None = None, cursor: str = HUB_CURSOR) -> int:
        """Delete records older than the retention that ``cursor`` has delivered.

        Only a prefix of the chain is removed; the last removed hash becomes the
        checkpoint the remaining chain verifies from. Returns the number removed.
        """
        cutoff = ((now or datetime.now(UTC)) - self.retention).isoformat(timespec="milliseconds")
        delivered = self.delivered_seq(cursor)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                young = self._db.execute(
                    "SELECT MIN(seq) FROM records WHERE at >= ?", (cutoff,)
                ).fetchone()[0]
                limit = delivered if young is None else min(delivered, int(young) - 1)
                row = self._db.execute(
                    "SELECT seq, hash FROM records WHERE seq <= ? ORDER BY seq DESC LIMIT 1",
                    (limit,),
                ).fetchone()
                if row is None:
                    self._db.execute("ROLLBACK")
                    return 0
                removed = self._db.execute("DELETE FROM records WHERE seq <= ?", (limit,)).rowcount
                self._db.executemany(
                    "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)",
                    [("checkpoint_seq", str(row[0])), ("checkpoint_hash", str(row[1]))],
                )
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        return int(removed)

    def verify(self) -> IntegrityReport:
        """Walk the whole chain: SQLite's own check, then every row's hash and link.

        Names the seq of each edited row ("hash mismatch"), torn row ("data is not
        valid JSON"), missing rows ("gap") and broken link. Never raises for a
        damaged file; the damage is a problem in the report.
        """
        problems: list[IntegrityProblem] = []
        checked = 0
        last = 0
        with self._lock:
            try:
                for (line,) in self._db.execute("PRAGMA quick_check").fetchall():
                    if line != "ok":
                        problems.append(IntegrityProblem(None, f"sqlite: {line}"))
                expected, prev_hash = self._checkpoint()
                expected += 1
                rows = self._db.execute(
                    "SELECT seq, key, at, kind, data, prev_hash, hash FROM records ORDER BY seq"
                )
                for seq, key, at, kind, body, stored_prev, digest in rows:
                    checked += 1
                    last = seq
                    if seq != expected:
                        problems.append(
                            IntegrityProblem(seq, f"gap: records {expected}..{seq - 1} missing")
                        )
                    if stored_prev != prev_hash:
                        problems.append(IntegrityProblem(seq, "chain broken: prev_hash differs"))
                    if chain_hash(stored_prev, row_json(seq, key, at, kind, body)) != digest:
                        try:
                            json.loads(body)
                        except (TypeError, ValueError):
                            reason = "torn row: data is not valid JSON"
                        else:
                            reason = "hash mismatch: row altered"
                        problems.append(IntegrityProblem(seq, reason))
                    prev_hash = digest
                    expected = seq + 1
                    if len(problems) >= _MAX_PROBLEMS:
                        break
            except sqlite3.DatabaseError as exc:
                problems.append(IntegrityProblem(None, f"database unreadable: {exc}"))
        return IntegrityReport(not problems, checked, last, tuple(problems[:_MAX_PROBLEMS]))

    def close(self) -> None:
        with self._lock:
            self._db.close()

"""Journal records, their canonical JSON and hash chain, and integrity reports."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_json(value: object) -> str:
    """The one JSON form hashes are computed over (sorted keys, no spaces, UTF-8)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def row_json(seq: int, key: str, at: str, kind: str, body: str) -> str:
    """Canonical JSON of a row, ``{"at","data","key","kind","seq"}``, built around
    ``body`` (the canonical JSON of its data, as stored) without parsing it again."""
    d = json.dumps
    return (
        f'{{"at":{d(at, ensure_ascii=False)},"data":{body},"key":{d(key, ensure_ascii=False)},'
        f'"kind":{d(kind, ensure_ascii=False)},"seq":{seq}}}'
    )


def chain_hash(prev_hash: str, row: str) -> str:
    """sha256 over the previous hash and the row's canonical JSON (:func:`row_json`)."""
    return hashlib.sha256((prev_hash + row).encode()).hexdigest()


@dataclass(frozen=True)
class JournalRecord:
    """One committed journal row. ``at`` is ISO 8601 UTC with milliseconds."""

    seq: int
    key: str
    at: str
    kind: str
    data: dict[str, Any]
    prev_hash: str
    hash: str

    def to_wire(self) -> dict[str, Any]:
        """The record as sent to the hub's journal endpoint."""
        return {
            "key": self.key,
            "seq": self.seq,
            "at": self.at,
            "kind": self.kind,
            "data": self.data,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class IntegrityProblem:
    seq: int | None  # None: the file as a whole
    reason: str


@dataclass(frozen=True)
class IntegrityReport:
    """Result of :meth:`Journal.verify`. ``problems`` is capped at 20 entries."""

    ok: bool
    checked: int
    last_seq: int
    problems: tuple[IntegrityProblem, ...]

    def summary(self) -> str:
        """One line for logs and the hub (holds no record data)."""
        if self.ok:
            return f"journal ok: {self.checked} records through seq {self.last_seq}"
        listed = "; ".join(
            f"seq {p.seq}: {p.reason}" if p.seq is not None else p.reason for p in self.problems
        )
        return f"journal integrity FAILED ({len(self.problems)} problems): {listed}"

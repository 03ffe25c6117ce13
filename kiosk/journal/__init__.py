"""The terminal's electronic journal (DESIGN §6): append-only, hash-chained,
crash-safe SQLite, written before every side effect. See ``store`` for the
guarantees, ``records`` for the chain, ``personal`` for what it refuses."""

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
from kiosk.journal.store import (
    HUB_CURSOR,
    MAX_DATA_BYTES,
    Journal,
    JournalError,
    JournalFull,
)

__all__ = [
    "GENESIS_HASH",
    "HUB_CURSOR",
    "MAX_DATA_BYTES",
    "IntegrityProblem",
    "IntegrityReport",
    "Journal",
    "JournalError",
    "JournalFull",
    "JournalRecord",
    "PersonalDataError",
    "canonical_json",
    "chain_hash",
    "find_personal_data",
    "row_json",
]

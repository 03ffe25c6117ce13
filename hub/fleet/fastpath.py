"""The heartbeat fast path on one raw DB-API connection per hub process.

Most heartbeats change nothing but the status row, and the hub must take
thousands per second (bench/hub_heartbeats.py). This writes them with one
prepared statement on a connection kept open for the process and used only
from the event-loop thread: no pool checkout (the shared engine pings on
every checkout), no SQL compilation, no thread hop. A changed condition
fingerprint (no row updated) falls back to :func:`hub.fleet.ingest.record_heartbeat`.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine

from hub.fleet import health
from hub.fleet.clock import utcnow

log = logging.getLogger(__name__)

_COLUMNS = (
    "last_seen_at",
    "version",
    "uptime_s",
    "disk_free_mb",
    "memory_rss_mb",
    "journal_backlog",
    "screen",
    "session_state",
    "devices_json",
)


def _sql(placeholder: str) -> str:
    # Authentication and the status write in one round trip: the row is found
    # by the token's hash (unique index), must not be revoked, and must have
    # the same condition fingerprint.
    sets = ", ".join(f"{c} = {placeholder}" for c in _COLUMNS)
    return (
        f"UPDATE fleet_terminals SET {sets} "
        f"WHERE token_hash = {placeholder} AND revoked_at IS NULL "
        f"AND health_sig = {placeholder} "
        "RETURNING id, (SELECT count(*) FROM fleet_commands "
        "WHERE state = 'queued' AND terminal_id = fleet_terminals.id)"
    )


class HeartbeatFastPath:
    """Writes unchanged-condition heartbeats; not thread-safe (event loop only)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._statement = _sql("?" if self._sqlite else "%s")
        self._raw: Any = None

    def try_write(self, token_hash: str, hb: health.HeartbeatIn) -> tuple[int, int] | None:
        """(terminal id, commands pending) after writing the status, or None
        when nothing was written: the token is unknown or revoked, or the
        condition changed (take the authenticated full path)."""
        now = utcnow()
        params = (
            now.strftime("%Y-%m-%d %H:%M:%S.%f") if self._sqlite else now,
            hb.version,
            hb.uptime_s,
            hb.disk_free_mb,
            hb.memory_rss_mb,
            hb.journal_backlog,
            hb.screen,
            hb.session_state,
            health.devices_json(hb),
            token_hash,
            health.condition_signature(hb),
        )
        error = self._engine.dialect.loaded_dbapi.Error
        for attempt in (1, 2):
            raw = self._connection()
            try:
                cursor = raw.cursor()
                try:
                    cursor.execute(self._statement, params)
                    row = cursor.fetchone()
                finally:
                    cursor.close()
                break
            except error:
                # The kept connection may have died (database restart): retry
                # once on a fresh one; a second failure is a real outage.
                self.close()
                if attempt == 2:
                    raise
                log.warning("heartbeat connection lost; reconnecting")
        return None if row is None else (int(row[0]), int(row[1]))

    def _connection(self) -> Any:
        if self._raw is None:
            raw = self._engine.raw_connection()
            # Autocommit: the single UPDATE is its own transaction, which saves
            # the COMMIT round trip. The connection never goes back to the pool
            # in this mode (close() invalidates it).
            driver: Any = raw.dbapi_connection
            if self._sqlite:
                driver.isolation_level = None
            else:
                driver.autocommit = True
            self._raw = raw
        return self._raw

    def close(self) -> None:
        """Drop the connection (it is not returned to the pool: it is in autocommit)."""
        raw, self._raw = self._raw, None
        if raw is not None:
            raw.invalidate()

"""The heartbeat fast path on one raw DB-API connection per hub process.

Most heartbeats change nothing but the status row, and the hub must take
thousands per second (bench/hub_heartbeats.py). This writes them with one
prepared statement on a connection kept open for the process and used only
from the event-loop thread: no pool checkout (the shared engine pings on
every checkout), no SQL compilation, no thread hop. A changed condition
fingerprint (no row updated) falls back to :func:`hub.fleet.ingest.record_heartbeat`.
"""

from __future__ import annotations

import asyncio
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


_BATCH_LIMIT = 200
_TOKEN = len(_COLUMNS)  # index of the token hash in a parameter tuple
_CASTS = (
    "timestamp",
    "varchar",
    "int",
    "int",
    "float8",
    "int",
    "varchar",
    "varchar",
    "text",
    "varchar",
    "varchar",
)


def _pg_batch_sql(count: int) -> str:
    """One UPDATE … FROM (VALUES …) for ``count`` heartbeats (PostgreSQL)."""
    row = "(" + ", ".join(f"%s::{cast}" for cast in _CASTS) + ")"
    values = ", ".join([row] * count)
    sets = ", ".join(f"{c} = v.{c}" for c in _COLUMNS)
    return (
        f"UPDATE fleet_terminals AS t SET {sets} "
        f"FROM (VALUES {values}) AS v({', '.join(_COLUMNS)}, token_hash, sig) "
        "WHERE t.token_hash = v.token_hash AND t.revoked_at IS NULL AND t.health_sig = v.sig "
        "RETURNING v.token_hash, t.id, (SELECT count(*) FROM fleet_commands "
        "WHERE state = 'queued' AND terminal_id = t.id)"
    )


class HeartbeatFastPath:
    """Writes unchanged-condition heartbeats; not thread-safe (event loop only)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._statement = _sql("?" if self._sqlite else "%s")
        self._raw: Any = None
        self._async: Any = None  # psycopg.AsyncConnection, PostgreSQL only
        self._pending: list[tuple[tuple[Any, ...], asyncio.Future[tuple[int, int] | None]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def write(self, token_hash: str, hb: health.HeartbeatIn) -> tuple[int, int] | None:
        """(terminal id, commands pending) after writing the status, or None
        when nothing was written: the token is unknown or revoked, or the
        condition changed (take the authenticated full path).

        PostgreSQL: heartbeats queue for one asyncio connection and are
        written in batches (one ``UPDATE … FROM (VALUES …)`` per round trip).
        SQLite: a synchronous call (local, ~50 µs; writers serialise on the
        database lock anyway).
        """
        if self._sqlite:
            return self.try_write(token_hash, hb)
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # A new event loop (only tests run one app under several): the
            # connection and the drain task belonged to the old one.
            self._loop, self._async, self._pending, self._drainer = loop, None, [], None
        future: asyncio.Future[tuple[int, int] | None] = loop.create_future()
        self._pending.append((self._params(token_hash, hb), future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        # Heartbeats that arrive while a batch is in flight form the next
        # batch: one statement and one round trip for many terminals.
        while self._pending:
            batch, self._pending = self._pending[:_BATCH_LIMIT], self._pending[_BATCH_LIMIT:]
            try:
                found = await self._write_batch([params for params, _ in batch])
            except Exception as exc:  # noqa: BLE001 - supervision point: fail the requests, keep the task
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for params, future in batch:
                if not future.done():
                    future.set_result(found.pop(params[_TOKEN], None))

    async def _write_batch(self, rows: list[tuple[Any, ...]]) -> dict[str, tuple[int, int]]:
        statement = _pg_batch_sql(len(rows))
        flat = [value for row in rows for value in row]
        for attempt in (1, 2):
            try:
                conn = await self._async_connection()
                cursor = await conn.execute(statement, flat)
                result = await cursor.fetchall()
                break
            except self._engine.dialect.loaded_dbapi.Error:
                await self._close_async()
                if attempt == 2:
                    raise
                log.warning("heartbeat connection lost; reconnecting")
        return {str(r[0]): (int(r[1]), int(r[2])) for r in result}

    async def _async_connection(self) -> Any:
        if self._async is None:
            import psycopg

            url = self._engine.url.set(drivername="postgresql")
            self._async = await psycopg.AsyncConnection.connect(
                url.render_as_string(hide_password=False), autocommit=True
            )
        return self._async

    async def _close_async(self) -> None:
        conn, self._async = self._async, None
        if conn is not None and self._loop is asyncio.get_running_loop():
            await conn.close()

    def _params(self, token_hash: str, hb: health.HeartbeatIn) -> tuple[Any, ...]:
        now = utcnow()
        return (
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

    def try_write(self, token_hash: str, hb: health.HeartbeatIn) -> tuple[int, int] | None:
        """Synchronous :meth:`write` on the kept DB-API connection."""
        params = self._params(token_hash, hb)
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

    async def aclose(self) -> None:
        """Close both connections (call from the event loop at shutdown)."""
        await self._close_async()
        self.close()

    def close(self) -> None:
        """Drop the connection (it is not returned to the pool: it is in autocommit)."""
        raw, self._raw = self._raw, None
        if raw is not None:
            raw.invalidate()

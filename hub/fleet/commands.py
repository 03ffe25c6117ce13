"""Remote commands: queueing, long-poll delivery and acks. The kinds and
their arguments are the shared vocabulary's (``protocol.commands``).

A command goes queued → delivered (handed out by ``GET /commands``) → done
or failed (the terminal's ack). Delivery must work across several hub
processes sharing one database, so a waiting long-poll is woken either
in-process (the console of the same process queued it: fast path) or by a
per-process poller that looks for queued commands every
``POLL_INTERVAL_S`` while anybody is waiting (one query per process, not
per waiting terminal).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, or_, select, update
from starlette.concurrency import run_in_threadpool

from hub.fleet.clock import utcnow
from hub.fleet.models import Command
from protocol.commands import COMMANDS, CommandArgs, CommandKind, wire_args

POLL_INTERVAL_S = 0.25
# A delivered command not acknowledged after this long is handed out again
# (the long-poll response may have been lost); terminals de-duplicate by id.
REDELIVER_AFTER_S = 120
MAX_WAIT_S = 60.0
JITTER_FROM_S = 10.0
JITTER_SHARE = 0.1

STATE_LABELS: dict[str, str] = {
    "queued": "排队中",
    "delivered": "已送达",
    "done": "已完成",
    "failed": "失败",
}


def queue_command(
    conn: Connection, terminal_id: int, kind: CommandKind, args: CommandArgs, actor: str
) -> int:
    """Insert a queued command; its id. ``args`` come from
    :func:`protocol.commands.parse_command_args` (or are built as the kind's
    model), so nothing unchecked is queued. Call :meth:`CommandBus.notify`
    after commit so a waiting long-poll wakes at once.

    Raises ``TypeError`` when ``args`` are not the model of ``kind``.
    """
    expected = COMMANDS[kind].args
    if type(args) is not expected:
        raise TypeError(f"{kind} takes {expected.__name__}, not {type(args).__name__}")
    result = conn.execute(
        insert(Command)
        .values(
            terminal_id=terminal_id,
            kind=kind.value,
            args_json=json.dumps(wire_args(args), ensure_ascii=False),
            state="queued",
            created_by=actor,
            created_at=utcnow(),
        )
        .returning(Command.id)
    )
    return int(result.scalar_one())


def pending_count(conn: Connection, terminal_id: int) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(Command)
            .where(Command.state == "queued", Command.terminal_id == terminal_id)
        ).scalar_one()
    )


def claim_queued(engine: Engine, terminal_id: int) -> list[dict[str, Any]]:
    """Mark this terminal's queued commands (and delivered ones never acked
    within ``REDELIVER_AFTER_S``) delivered and return them, oldest first. A
    command claimed concurrently by another process is skipped."""
    claimed: list[dict[str, Any]] = []
    with engine.begin() as conn:
        now = utcnow()
        stale = now - timedelta(seconds=REDELIVER_AFTER_S)
        rows = conn.execute(
            select(Command.id, Command.kind, Command.args_json, Command.state)
            .where(
                Command.terminal_id == terminal_id,
                or_(
                    Command.state == "queued",
                    and_(Command.state == "delivered", Command.delivered_at < stale),
                ),
            )
            .order_by(Command.id)
        ).all()
        for row in rows:
            guard = (
                Command.state == "queued"
                if row.state == "queued"
                else and_(Command.state == "delivered", Command.delivered_at < stale)
            )
            done = conn.execute(
                update(Command)
                .where(Command.id == row.id, guard)
                .values(state="delivered", delivered_at=now)
            )
            if done.rowcount == 1:
                claimed.append({"id": row.id, "kind": row.kind, "args": json.loads(row.args_json)})
    return claimed


def ack_command(engine: Engine, terminal_id: int, command_id: int, ok: bool, result: str) -> bool:
    """Record the terminal's outcome; False when the command is not this terminal's.
    Acking twice keeps the first outcome (acks are retried by terminals)."""
    with engine.begin() as conn:
        row = conn.execute(
            select(Command.state).where(
                Command.id == command_id, Command.terminal_id == terminal_id
            )
        ).first()
        if row is None:
            return False
        if row.state in ("queued", "delivered"):
            now = utcnow()
            conn.execute(
                update(Command)
                .where(Command.id == command_id)
                .values(
                    state="done" if ok else "failed",
                    finished_at=now,
                    delivered_at=func.coalesce(Command.delivered_at, now),
                    result=result[:1000],
                )
            )
    return True


@dataclass
class _Waiter:
    terminal_id: int
    event: asyncio.Event


class CommandBus:
    """Wakes long-polls of one hub process when commands are queued for them."""

    def __init__(self, engine: Engine, poll_interval_s: float = POLL_INTERVAL_S) -> None:
        self._engine = engine
        self._interval = poll_interval_s
        self._waiters: dict[int, set[asyncio.Event]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._poller: asyncio.Task[None] | None = None
        # What the poller last found (terminals with commands to hand out) and
        # until when that is known: a long-poll opened meanwhile for another
        # terminal skips its database claim (10,000 held long-polls re-open
        # every minute; bench/ota_longpolls.py).
        self._queued: set[int] = set()
        self._woken_meanwhile: set[int] = set()
        self._known_until = 0.0

    def may_have_commands(self, terminal_id: int) -> bool:
        """False only when this process's poller looked within the last two
        intervals and found nothing for ``terminal_id`` (nor was it woken)."""
        loop = self._loop
        if loop is None or loop is not asyncio.get_running_loop():
            return True
        return terminal_id in self._queued or loop.time() >= self._known_until

    async def wait(self, terminal_id: int, timeout_s: float) -> None:
        """Return when woken for ``terminal_id`` or after ``timeout_s`` seconds."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # A new event loop (tests run one app under several): forget the
            # old loop's poller and waiters.
            self._loop, self._poller, self._waiters = loop, None, {}
            self._queued, self._known_until = set(), 0.0
        event = asyncio.Event()
        self._waiters.setdefault(terminal_id, set()).add(event)
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll(), name="fleet-command-poller")
        try:
            await asyncio.wait_for(event.wait(), timeout=max(0.0, timeout_s))
        except TimeoutError:
            pass
        finally:
            waiters = self._waiters.get(terminal_id)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[terminal_id]

    def notify(self, terminal_id: int) -> None:
        """Wake the long-polls of ``terminal_id`` in this process; callable from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # loop shut down between check and call
            loop.call_soon_threadsafe(self._wake, terminal_id)

    def _wake(self, terminal_id: int) -> None:
        self._queued.add(terminal_id)
        self._woken_meanwhile.add(terminal_id)
        for event in self._waiters.get(terminal_id, ()):
            event.set()

    def _queued_terminals(self) -> set[int]:
        # Queued commands, and delivered ones due again (claim_queued hands out both).
        stale = utcnow() - timedelta(seconds=REDELIVER_AFTER_S)
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(Command.terminal_id)
                .where(
                    or_(
                        Command.state == "queued",
                        and_(Command.state == "delivered", Command.delivered_at < stale),
                    )
                )
                .distinct()
            ).all()
        return {int(r[0]) for r in rows}

    async def _poll(self) -> None:
        # Runs only while some long-poll waits; ends by itself afterwards.
        while self._waiters:
            await asyncio.sleep(self._interval)
            if not self._waiters:
                return
            loop = asyncio.get_running_loop()
            asked_at = loop.time()
            self._woken_meanwhile = set()
            queued = await run_in_threadpool(self._queued_terminals)
            # A wake during the query may be for a row the query did not see yet.
            self._queued = queued | self._woken_meanwhile
            self._known_until = asked_at + 2 * self._interval
            for terminal_id in queued & self._waiters.keys():
                self._wake(terminal_id)


async def long_poll(
    engine: Engine, bus: CommandBus, terminal_id: int, wait_s: float
) -> list[dict[str, Any]]:
    """Commands for ``terminal_id`` as soon as any is queued, or [] after ``wait_s``."""
    wait_s = min(max(0.0, wait_s if math.isfinite(wait_s) else 0.0), MAX_WAIT_S)
    if wait_s >= JITTER_FROM_S:
        # Spread the answers: thousands of terminals that polled together
        # (a hub restart, a network coming back) must not all come back in
        # the same second (bench/ota_longpolls.py).
        wait_s -= random.uniform(0.0, wait_s * JITTER_SHARE)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    while True:
        if bus.may_have_commands(terminal_id):
            commands = await run_in_threadpool(claim_queued, engine, terminal_id)
        else:
            commands = []
        remaining = deadline - loop.time()
        if commands or remaining <= 0:
            return commands
        await bus.wait(terminal_id, remaining)

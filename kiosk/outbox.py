"""Forwards journal records to the hub exactly once, in order (DESIGN §6).

A background thread takes the oldest undelivered records, POSTs them as one
batch with their idempotent keys and moves the delivery cursor — in the same
SQLite file, in one transaction — only over the prefix of the batch the hub
acknowledged. A crash between the hub storing a batch and the cursor moving
makes the batch go again with the same keys; the hub stores a key once, so
each record is stored exactly once, in seq order.

Outages: exponential backoff with jitter, capped (30 s by default); a
successful call elsewhere (e.g. the fleet agent's heartbeat) :meth:`Outbox.kick`\\ s
the thread so delivery resumes at once. A refused credential (HTTP 401)
pauses the outbox until :meth:`Outbox.resume`; records stay queued.

The same machinery carries the fleet agent's events: a second :class:`Journal`
file and :data:`EVENTS_CHANNEL`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

# Re-exported: the agent and its tests know the hub errors from here.
from kiosk.hub_client.errors import HubRefused, HubUnavailable
from kiosk.journal import HUB_CURSOR, Journal, JournalRecord, canonical_json
from protocol.events import EVENTS_PATH, JOURNAL_PATH, Event

log = logging.getLogger(__name__)

MAX_BATCH_BYTES = 768 * 1024
"""A batch stays well under the hub's 1 MiB request limit (records are at most
``kiosk.journal.MAX_DATA_BYTES``, so one record always fits)."""


class Transport(Protocol):
    """What the outbox needs from a hub client (:class:`kiosk.hub_client.HubClient`)."""

    def post_json(self, path: str, body: dict[str, Any]) -> Any:
        """POST ``body``; return the decoded JSON reply.

        Raises :class:`HubUnavailable` (network, timeout, 5xx, not enrolled yet)
        or :class:`HubRefused` (credential revoked).
        """
        ...


def _event_wire(record: JournalRecord) -> dict[str, Any]:
    # Built as the model the hub validates events with (protocol.events.Event).
    event = Event(key=record.key, kind=record.kind, at=record.at, data=record.data)
    return event.model_dump(mode="json")


def _journal_wire(record: JournalRecord) -> dict[str, Any]:
    return record.to_wire()


@dataclass(frozen=True)
class Channel:
    """Where one queue goes: ``POST path {field: [encode(record), ...]}`` →
    ``{"accepted": [key, ...]}``."""

    path: str
    field: str
    encode: Callable[[JournalRecord], dict[str, Any]]
    cursor: str = HUB_CURSOR


JOURNAL_CHANNEL = Channel(JOURNAL_PATH, "records", _journal_wire)
EVENTS_CHANNEL = Channel(EVENTS_PATH, "events", _event_wire)


class Backoff:
    """Exponential backoff with "equal jitter": a delay in [d/2, d], d doubling to ``cap_s``."""

    def __init__(self, base_s: float = 0.5, cap_s: float = 30.0) -> None:
        self.base_s = base_s
        self.cap_s = cap_s
        self.failures = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap_s, self.base_s * (2 ** min(self.failures, 30)))
        self.failures += 1
        return random.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.failures = 0


class Outbox:
    """Delivers one journal to the hub from a background thread.

    ``batch`` bounds the records per POST. ``backoff_cap_s`` caps the wait
    between attempts during an outage; ``idle_poll_s`` is how often an idle
    outbox looks again (new records wake it at once).
    """

    def __init__(
        self,
        journal: Journal,
        transport: Transport,
        batch: int = 100,
        *,
        channel: Channel = JOURNAL_CHANNEL,
        backoff_cap_s: float = 30.0,
        idle_poll_s: float = 5.0,
        on_refused: Callable[[str], None] | None = None,
    ) -> None:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        self.journal = journal
        self.transport = transport
        self.batch = batch
        self.channel = channel
        self.idle_poll_s = idle_poll_s
        self.on_refused = on_refused
        self.last_error = ""
        self.delivered_total = 0
        self._backoff = Backoff(cap_s=backoff_cap_s)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._paused = False
        self._progress = threading.Condition()
        self._thread: threading.Thread | None = None

    # -- control ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the forwarding thread (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self.journal.add_listener(self._on_append)
        self._thread = threading.Thread(
            target=self._run, name=f"outbox{self.channel.path}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the thread; a POST in flight finishes or times out in the transport."""
        self._stopping.set()
        self._wake.set()
        self.journal.remove_listener(self._on_append)
        thread, self._thread = self._thread, None
        # A terminal shut down right after start may stop an outbox whose thread
        # never ran: joining an unstarted thread raises.
        if thread is not None and thread.ident is not None:
            thread.join(timeout)

    def kick(self) -> None:
        """Try now instead of waiting out the backoff (the hub answered elsewhere)."""
        self._backoff.reset()
        self._wake.set()

    def resume(self) -> None:
        """Leave the paused state after a refused credential was replaced."""
        self._paused = False
        self.kick()

    @property
    def paused(self) -> bool:
        """True after the hub refused the credential; records stay queued."""
        return self._paused

    def backlog(self) -> int:
        """Records not yet acknowledged by the hub."""
        return self.journal.backlog(self.channel.cursor)

    def flush(self, timeout: float) -> bool:
        """Deliver everything queued now; True when the backlog reached 0 in time.

        With the thread running this waits for it; otherwise delivers in the
        calling thread (e.g. at shutdown). Never raises for hub errors.
        """
        deadline = time.monotonic() + timeout
        running = self._thread is not None and self._thread.is_alive()
        if running:
            self.kick()  # once: during an outage the thread's backoff still applies
        while self.backlog() > 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if running:
                with self._progress:
                    self._progress.wait(min(remaining, 0.1))
            else:
                try:
                    self.deliver_batch()
                except (HubUnavailable, HubRefused) as exc:
                    self.last_error = str(exc)
                    return False
        return True

    # -- delivery --------------------------------------------------------------------------

    def deliver_batch(self) -> int:
        """POST the next batch once; returns how many records were acknowledged.

        Raises :class:`HubUnavailable` when the hub did not acknowledge the first
        record of the batch, :class:`HubRefused` on a revoked credential.
        """
        records = self.journal.pending(self.channel.cursor, self.batch)
        if not records:
            return 0
        wire: list[dict[str, Any]] = []
        size = 0
        for record in records:
            item = self.channel.encode(record)
            size += len(canonical_json(item).encode())
            if wire and size > MAX_BATCH_BYTES:
                records = records[: len(wire)]
                break
            wire.append(item)
        reply = self.transport.post_json(self.channel.path, {self.channel.field: wire})
        accepted = reply.get("accepted") if isinstance(reply, dict) else None
        if not isinstance(accepted, list):
            raise HubUnavailable(f"hub reply to {self.channel.path} has no 'accepted' list")
        keys = set(accepted)
        through = 0
        count = 0
        # Only the acknowledged prefix moves the cursor: order is preserved and a
        # record the hub skipped goes again (its key makes the resend harmless).
        for record in records:
            if record.key not in keys:
                break
            through = record.seq
            count += 1
        if count == 0:
            raise HubUnavailable(f"hub acknowledged none of {len(records)} records")
        self.journal.mark_delivered(through, self.channel.cursor)
        self.delivered_total += count
        with self._progress:
            self._progress.notify_all()
        return count

    def _on_append(self, _record: JournalRecord) -> None:
        self._wake.set()

    def _sleep(self, seconds: float) -> None:
        self._wake.wait(seconds)
        self._wake.clear()

    def _run(self) -> None:
        while not self._stopping.is_set():
            if self._paused:
                self._sleep(self.idle_poll_s)
                continue
            try:
                delivered = self.deliver_batch()
            except HubUnavailable as exc:
                self.last_error = str(exc)
                self._sleep(self._backoff.next_delay())
                continue
            except HubRefused as exc:
                self.last_error = str(exc)
                self._paused = True
                log.error("outbox %s paused: %s", self.channel.path, exc)
                if self.on_refused is not None:
                    self.on_refused(str(exc))
                continue
            except Exception:  # supervision point: the thread must outlive any bug
                log.exception("outbox %s failed; retrying", self.channel.path)
                self._sleep(self._backoff.next_delay())
                continue
            self._backoff.reset()
            self.last_error = ""
            if delivered == 0:
                self._sleep(self.idle_poll_s)

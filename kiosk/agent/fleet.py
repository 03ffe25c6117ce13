"""The fleet agent: enrolment, heartbeat, remote commands, events, and the
journal's delivery — all off the UI thread (DESIGN §2, §5).

Threads: ``fleet-agent`` (enrol, then heartbeat), ``fleet-commands`` (long-poll),
one outbox per queue (journal, events), and a screenshot waiter when asked.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kiosk.agent.commands import CommandRunner
from kiosk.agent.credential import (
    Credential,
    CredentialStore,
    enrol,
    register_key,
)
from kiosk.agent.heartbeat import heartbeat_body
from kiosk.agent.host import AgentHost
from kiosk.hub_client import EnrolmentRefused, HubClient
from kiosk.journal import Journal
from kiosk.outbox import (
    EVENTS_CHANNEL,
    JOURNAL_CHANNEL,
    Backoff,
    HubRefused,
    HubUnavailable,
    Outbox,
)
from kiosk.signing import TerminalKey
from protocol.commands import COMMANDS_PATH
from protocol.heartbeat import HEARTBEAT_PATH

log = logging.getLogger(__name__)

_MIN_INTERVAL_S = 1.0
_MAX_INTERVAL_S = 3600.0
_PURGE_EVERY_S = 24 * 3600.0
# After this many long-polls fail while short polls work, poll for a while
# before trying the long-poll again (a proxy that cuts idle requests).
_LONG_POLL_STRIKES = 2
_POLLS_BEFORE_LONG_POLL = 6


class AgentState(enum.Enum):
    ENROLLING = "enrolling"  # no credential yet; trying the enrolment code
    ONLINE = "online"  # the last heartbeat was acknowledged
    OFFLINE = "offline"  # enrolled, hub unreachable; queues keep growing
    REVOKED = "revoked"  # the hub refused the credential: no more calls


class FleetAgent:
    """Keeps this terminal known to, and controllable from, the county hub.

    ``place`` has ``county``, ``town``, ``village``, ``branch`` and, where the
    terminal draws queue tickets, ``service_point`` (a catalogue code). With ``journal``
    the agent also delivers the journal (``self.journal_outbox``). Events from
    :meth:`post_event` are kept in ``events_path`` (default: beside the
    credential) until the hub acknowledges them.

    Raises :class:`~kiosk.hub_client.HubConfigError` at construction for
    plain http to a host that is not loopback, or https without a CA file.
    """

    def __init__(
        self,
        hub_url: str,
        ca_file: str | Path | None,
        credential_path: str | Path,
        enrolment_code: str | None,
        terminal_name: str,
        place: Mapping[str, str],
        host: AgentHost,
        heartbeat_interval_s: float = 30.0,
        *,
        journal: Journal | None = None,
        events_path: str | Path | None = None,
        timeout_s: float = 8.0,
        long_poll_s: int = 25,
        command_poll_s: float = 10.0,
        retry_cap_s: float = 30.0,
        command_timeout_s: float = 10.0,
        screenshot_wait_s: float = 300.0,
        screenshot_retry_s: float = 2.0,
        on_state_change: Callable[[AgentState], None] | None = None,
    ) -> None:
        self.transport = HubClient(hub_url, ca_file, timeout_s=timeout_s)
        self.credentials = CredentialStore(credential_path)
        self.enrolment_code = enrolment_code
        self.terminal_name = terminal_name
        self.place = {
            k: str(place.get(k, "") or "")
            for k in ("county", "town", "village", "branch", "service_point")
            if k != "service_point" or place.get(k)
        }
        self.host = host
        self.heartbeat_interval_s = heartbeat_interval_s
        self.long_poll_s = long_poll_s
        self.command_poll_s = command_poll_s
        self.retry_cap_s = retry_cap_s
        self.on_state_change = on_state_change
        self.terminal_id: str | int | None = None
        self.last_error = ""
        self.last_heartbeat_at: float | None = None
        self._state = AgentState.ENROLLING
        self._state_lock = threading.Lock()
        self._notify_lock = threading.Lock()
        self._halt = threading.Event()  # stop() or revoked
        self._commands_wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._last_purge = 0.0
        self._key_pending: tuple[Credential, TerminalKey] | None = None
        self._disk_path = Path(credential_path).resolve().parent
        self.journal = journal
        self.events = Journal(
            events_path or self._disk_path / "events.sqlite", quota_mb=32, retention_days=30
        )
        self.event_outbox = Outbox(
            self.events,
            self.transport,
            batch=100,
            channel=EVENTS_CHANNEL,
            backoff_cap_s=retry_cap_s,
            on_refused=self._revoke,
        )
        self.journal_outbox = (
            Outbox(
                journal,
                self.transport,
                batch=100,
                channel=JOURNAL_CHANNEL,
                backoff_cap_s=retry_cap_s,
                on_refused=self._revoke,
            )
            if journal is not None
            else None
        )
        self.commands = CommandRunner(
            self.transport,
            host,
            self._halt,
            command_timeout_s=command_timeout_s,
            screenshot_wait_s=screenshot_wait_s,
            screenshot_retry_s=screenshot_retry_s,
        )

    # -- public ----------------------------------------------------------------------------

    @property
    def state(self) -> AgentState:
        return self._state

    def start(self) -> None:
        """Start the agent's threads; returns at once."""
        self._halt.clear()
        for outbox in self._outboxes():
            outbox.start()
        main = threading.Thread(target=self._run_main, name="fleet-agent", daemon=True)
        self._threads = [main]
        main.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop every thread within about ``timeout`` seconds, cancelling the
        long-poll in flight. Queued events and journal records stay on disk;
        :meth:`post_event` still queues (delivered after the next start)."""
        deadline = time.monotonic() + timeout
        self._halt.set()
        self._commands_wake.set()
        self.transport.cancel()
        for outbox in self._outboxes():
            outbox.stop(max(0.1, deadline - time.monotonic()))
        for thread in self._threads:
            thread.join(max(0.1, deadline - time.monotonic()))
        self.commands.close()
        self.transport.close()

    def close(self) -> None:
        """:meth:`stop`, then close the event store (``post_event`` fails after this)."""
        self.stop()
        self.events.close()

    def post_event(self, kind: str, data: Mapping[str, Any]) -> None:
        """Queue an event for the hub (kept on disk until acknowledged, in order).

        Raises ``ValueError`` for personal data (see ``kiosk.journal``) and
        :class:`~kiosk.journal.JournalFull` when the event store is full.
        """
        self.events.append(kind, data)

    # -- state -----------------------------------------------------------------------------

    def _outboxes(self) -> list[Outbox]:
        return [o for o in (self.journal_outbox, self.event_outbox) if o is not None]

    def _set_state(self, state: AgentState, error: str = "") -> None:
        with self._state_lock:
            if self._state is AgentState.REVOKED:
                return  # final: keep the revocation reason
            if self._state is state:
                self.last_error = error or self.last_error
                return
            previous, self._state = self._state, state
            self.last_error = error
        log.info("fleet agent %s → %s %s", previous.value, state.value, error)
        if state is AgentState.ONLINE:
            for outbox in self._outboxes():
                outbox.kick()  # the hub answers: deliver queued records now
            self._commands_wake.set()
        self._notify()

    def _notify(self) -> None:
        # Serialised, and always the state as it is now: two threads changing
        # state at once must not leave the listener with a stale last word.
        if self.on_state_change is not None:
            with self._notify_lock:
                self.on_state_change(self._state)

    def _revoke(self, reason: str) -> None:
        with self._state_lock:
            if self._state is AgentState.REVOKED:
                return
            self._state = AgentState.REVOKED
            self.last_error = reason
        # The kiosk keeps serving what works offline; the operator must re-enrol it.
        log.error(
            "fleet agent REVOKED: %s. The terminal stops calling the hub; delete %s and set a"
            " new enrolment code to enrol it again.",
            reason,
            self.credentials.path,
        )
        self._halt.set()
        self._commands_wake.set()
        self.transport.cancel()
        self._notify()

    # -- enrolment and heartbeat -----------------------------------------------------------

    def _ensure_enrolled(self) -> bool:
        credential = self.credentials.load_for(self.transport.base_url)
        key = TerminalKey.beside(self.credentials.path)
        backoff = Backoff(cap_s=max(self.retry_cap_s, 1.0))
        while credential is None and not self._halt.is_set():
            if not self.enrolment_code:
                self._set_state(
                    AgentState.ENROLLING, "not enrolled and no enrolment code configured"
                )
                self._halt.wait(self.retry_cap_s)
                continue
            try:
                credential = enrol(
                    self.transport, self.enrolment_code, self.terminal_name, self.place, key
                )
                self.credentials.save(credential)
                log.info("enrolled as terminal %s", credential.terminal_id)
            except (EnrolmentRefused, HubUnavailable) as exc:
                credential = None
                self._set_state(AgentState.ENROLLING, str(exc))
                self._halt.wait(backoff.next_delay())
        if credential is None:
            return False
        self.terminal_id = credential.terminal_id
        self.transport.set_token(credential.token)
        self._set_state(AgentState.OFFLINE, "enrolled; no heartbeat yet")
        if key is not None:
            self._key_pending = (credential, key)
        return True

    def _run_main(self) -> None:
        try:
            if not self._ensure_enrolled():
                return
            for outbox in self._outboxes():
                outbox.kick()
            commands = threading.Thread(
                target=self._run_commands, name="fleet-commands", daemon=True
            )
            self._threads.append(commands)
            commands.start()
            self._heartbeat_loop()
        except Exception:  # supervision point: the agent must never take the kiosk down
            log.exception("fleet agent stopped by an unexpected error")

    def _heartbeat_loop(self) -> None:
        interval = self.heartbeat_interval_s
        backoff = Backoff(cap_s=max(self.retry_cap_s, 1.0))
        while not self._halt.is_set():
            try:
                body = self.heartbeat_body()
            except ValueError:
                # The app reported something the heartbeat's model refuses (a bug):
                # say so and try again next interval; the agent keeps running.
                log.exception("heartbeat not sent: the status does not fit the heartbeat")
                self._halt.wait(interval)
                continue
            try:
                reply = self.transport.post_json(HEARTBEAT_PATH, body)
            except HubRefused as exc:
                self._revoke(str(exc))
                return
            except HubUnavailable as exc:
                self._set_state(AgentState.OFFLINE, str(exc))
                self._halt.wait(min(interval, backoff.next_delay()))
                continue
            backoff.reset()
            self.last_heartbeat_at = time.time()
            self._set_state(AgentState.ONLINE)
            pending = self._key_pending  # a new signing key, until the hub has it
            if pending is not None and register_key(self.transport, self.credentials, *pending):
                self._key_pending = None
            if isinstance(reply, dict):
                next_s = reply.get("next_interval_s")
                if isinstance(next_s, int | float) and not isinstance(next_s, bool):
                    interval = min(_MAX_INTERVAL_S, max(_MIN_INTERVAL_S, float(next_s)))
                if reply.get("commands_pending"):
                    self._commands_wake.set()
            self._purge_if_due()
            self._halt.wait(interval)

    def heartbeat_body(self) -> dict[str, Any]:
        """The heartbeat as sent now (see :func:`kiosk.agent.heartbeat.heartbeat_body`)."""
        backlog = self.journal_outbox.backlog() if self.journal_outbox is not None else None
        return heartbeat_body(self.host.status_snapshot(), backlog, self._disk_path)

    def _purge_if_due(self) -> None:
        now = time.monotonic()
        if now - self._last_purge < _PURGE_EVERY_S and self._last_purge:
            return
        self._last_purge = now
        for store in (self.events, self.journal):
            if store is not None:
                removed = store.purge()
                if removed:
                    log.info("purged %d delivered records older than retention", removed)

    # -- commands --------------------------------------------------------------------------

    def _run_commands(self) -> None:
        long_poll = True
        strikes = 0
        polls = 0
        backoff = Backoff(cap_s=max(self.retry_cap_s, 1.0))
        while not self._halt.is_set():
            if self.commands.refused:
                self._revoke(self.commands.refused)
                return
            wait = self.long_poll_s if long_poll else 0
            try:
                self.commands.retry_acks()
                reply = self.transport.get_json(
                    COMMANDS_PATH, params={"wait": wait}, timeout_s=wait + 10.0
                )
                for command in self._command_list(reply):
                    self.commands.handle(command)
            except HubRefused as exc:
                self._revoke(str(exc))
                return
            except HubUnavailable as exc:
                if self._halt.is_set():
                    return
                if long_poll:
                    # Try a plain poll at once: if it works, the hub is up and
                    # only the long-poll is broken.
                    strikes += 1
                    long_poll = False
                    log.info("command long-poll failed (%s); polling", exc)
                else:
                    self._halt.wait(backoff.next_delay())
                continue
            backoff.reset()
            if long_poll:
                strikes = 0
                continue
            if strikes < _LONG_POLL_STRIKES:
                long_poll = True  # the hub is up again: back to the long-poll
                continue
            polls += 1
            if polls >= _POLLS_BEFORE_LONG_POLL:
                long_poll, polls, strikes = True, 0, 0  # give the long-poll another chance
            self._commands_wake.wait(self.command_poll_s)
            self._commands_wake.clear()

    @staticmethod
    def _command_list(reply: Any) -> list[Mapping[str, Any]]:
        items = reply.get("commands", []) if isinstance(reply, dict) else reply
        if not isinstance(items, list):
            raise HubUnavailable("commands reply is not a list")
        return [c for c in items if isinstance(c, Mapping)]

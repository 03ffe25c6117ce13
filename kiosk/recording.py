"""Where the app's records go: the journal (before every side effect) and
the fleet agent's event queue (for the hub). Implements ``kiosk.ports.Recorder``.

Either part may be absent (tests, or the moment before the journal opens);
then records are only logged. Values are never personal data in clear:
the journal itself refuses ID- and card-number-shaped values.

If the journal cannot be written (quota or disk full, file broken) the
side effect must not happen: :meth:`record` raises :class:`JournalUnavailable`
(a ``DeviceError``, so screens explain it like any device fault) and tells
the app, which goes out of service and alerts the hub.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from drivers.errors import DeviceError
from kiosk.journal import JournalError
from protocol.events import EventKind

log = logging.getLogger(__name__)


class JournalUnavailable(DeviceError):
    """Nothing can be done that needs a journal record first."""


class _Journal(Protocol):
    def append(self, kind: str, data: dict[str, Any]) -> Any: ...


class _Agent(Protocol):
    def post_event(self, kind: str, data: dict[str, Any]) -> None: ...


class Recorder:
    def __init__(
        self,
        journal: _Journal | None = None,
        agent: _Agent | None = None,
        *,
        on_journal_failure: Callable[[str], None] | None = None,
    ) -> None:
        self.journal = journal
        self.agent = agent
        self.on_journal_failure = on_journal_failure
        self.current_screen = "attract"

    def record(self, kind: str, data: dict[str, Any]) -> None:
        if self.journal is None:
            log.debug("record %s %s", kind, data)
            return
        try:
            self.journal.append(kind, data)
        except JournalError as exc:
            log.error("journal append failed: %s", exc)
            message: str = exc.user_message
            kind = EventKind.DISK_FULL if "满" in message else EventKind.JOURNAL_ERROR
            self.event(kind, {"detail": str(exc)})
            if self.on_journal_failure is not None:
                self.on_journal_failure(message)
            raise JournalUnavailable(str(exc), user_message=message) from exc

    def event(self, kind: str, data: dict[str, Any]) -> None:
        """Queue an event for the hub. Best effort: a full event store is logged,
        never raised into the screen that reported something (the journal,
        not the event queue, is the record that must not be lost)."""
        if self.agent is None:
            log.debug("event %s %s", kind, data)
            return
        try:
            self.agent.post_event(kind, data)
        except JournalError as exc:
            log.error("event %s not queued for the hub: %s", kind, exc)

    def screen_changed(self, name: str) -> None:
        self.current_screen = name

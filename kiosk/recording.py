"""Where the app's records go: the journal (before every side effect) and
the fleet agent's event queue (for the hub). Implements ``kiosk.ports.Recorder``.

Either part may be absent (tests, or the moment before the journal opens);
then records are only logged. Values are never personal data in clear:
the journal itself refuses ID- and card-number-shaped values.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

log = logging.getLogger(__name__)


class _Journal(Protocol):
    def append(self, kind: str, data: dict[str, Any]) -> Any: ...


class _Agent(Protocol):
    def post_event(self, kind: str, data: dict[str, Any]) -> None: ...


class Recorder:
    def __init__(self, journal: _Journal | None = None, agent: _Agent | None = None) -> None:
        self.journal = journal
        self.agent = agent
        self.current_screen = "attract"

    def record(self, kind: str, data: dict[str, Any]) -> None:
        if self.journal is not None:
            self.journal.append(kind, data)
        else:
            log.debug("record %s %s", kind, data)

    def event(self, kind: str, data: dict[str, Any]) -> None:
        if self.agent is not None:
            self.agent.post_event(kind, data)
        else:
            log.debug("event %s %s", kind, data)

    def screen_changed(self, name: str) -> None:
        self.current_screen = name

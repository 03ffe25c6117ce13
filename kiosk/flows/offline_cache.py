"""Keeps the last catalogue and guides the hub sent, for when it cannot be reached.

Guides (办事指南) hold no personal data and change rarely, so a village
kiosk on a flaky mobile network keeps serving them offline: every good
answer is written to disk (atomically), and when the hub does not answer
the last copy is returned, marked ``offline`` with the time it was fetched
(:class:`~kiosk.hub_client.models.Kept`) so the screen can say so. Anything
personal never goes through here (queries, applications and payments need
the live hub).

On disk: ``{"fetched_at": <unix time>, "value": <the reply as JSON>}`` per key.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from kiosk.hub_client import HubUnavailable
from kiosk.hub_client.models import Kept

log = logging.getLogger(__name__)

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")
_MARKS = {"offline", "fetched_at"}
K = TypeVar("K", bound=Kept)


class OfflineCache:
    """Kept copies in ``directory``, one JSON file per key; thread-safe."""

    def __init__(self, directory: Path, clock: Callable[[], float] = time.time) -> None:
        self.directory = directory
        self.clock = clock
        self._lock = threading.Lock()

    def _path(self, key: str) -> Path:
        return self.directory / (_SAFE.sub("_", key) + ".json")

    def fetch(self, key: str, model: type[K], load: Callable[[], K]) -> K:
        """``load()`` from the hub and keep the answer; the kept copy when the hub is down.

        Raises :class:`HubUnavailable` when the hub is down and nothing usable is kept.
        """
        try:
            fresh = load()
        except HubUnavailable:
            kept = self.get(key, model)
            if kept is None:
                raise
            log.info("hub unreachable: serving the kept copy of %s", key)
            return kept
        self.put(key, fresh)
        return fresh

    def put(self, key: str, value: Kept) -> None:
        """Keep ``value`` (without its offline marks). A full disk is logged, not raised:
        it must not break a guide that was fetched fine."""
        reply = value.model_dump(mode="json", exclude=_MARKS)
        body = json.dumps({"fetched_at": self.clock(), "value": reply}, ensure_ascii=False)
        path = self._path(key)
        with self._lock:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                tmp.write_text(body, encoding="utf-8")
                os.replace(tmp, path)
            except OSError as exc:
                log.warning("could not keep %s offline: %s", key, exc)

    def get(self, key: str, model: type[K]) -> K | None:
        """The kept copy, marked ``offline`` with ``fetched_at``; None if none or unreadable."""
        try:
            kept = json.loads(self._path(key).read_text(encoding="utf-8"))
            value = dict(kept["value"])
            fetched_at = float(kept["fetched_at"])
            return model.model_validate({**value, "offline": True, "fetched_at": fetched_at})
        except (OSError, ValueError, KeyError, TypeError, ValidationError):
            # ValidationError is a ValueError too; named because a kept copy from an
            # older terminal version may lack a field this one needs.
            return None

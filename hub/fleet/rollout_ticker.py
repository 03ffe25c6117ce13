"""Rollouts advance when terminals (or operators) talk to the hub, so no
thread is added to the fleet state: at most once a second per hub process,
:func:`hub.fleet.rollouts.advance` runs on the request's way."""

from __future__ import annotations

import threading
import time

from fastapi import Request
from sqlalchemy import Engine

from hub.fleet import rollouts

ADVANCE_EVERY_S = 1.0


class RolloutTicker:
    """Runs :func:`hub.fleet.rollouts.advance` at most once a second per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0.0

    def maybe_advance(self, engine: Engine, force: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last < ADVANCE_EVERY_S:
                return
            self._last = now
        with engine.begin() as conn:
            rollouts.advance(conn)


def ticker(request: Request) -> RolloutTicker:
    state = request.app.state
    if not hasattr(state, "rollout_ticker"):
        state.rollout_ticker = RolloutTicker()
    found: RolloutTicker = state.rollout_ticker
    return found

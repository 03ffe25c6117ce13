"""The one way other threads reach the app loop.

Driver watchers and background tasks never touch pygame or the session:
they post a callable here, and the app loop runs it on its own thread at
the next tick (at most one frame later).
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any


class UiQueue:
    """Thread-safe queue of callables run by the app loop."""

    def __init__(self) -> None:
        self._q: queue.SimpleQueue[tuple[Callable[..., None], tuple[Any, ...]]] = (
            queue.SimpleQueue()
        )

    def post(self, fn: Callable[..., None], *args: Any) -> None:
        """Run ``fn(*args)`` on the app loop's thread soon. Safe from any thread."""
        self._q.put((fn, args))

    def drain(self, limit: int = 100) -> int:
        """Run up to ``limit`` queued callables; returns how many ran."""
        ran = 0
        while ran < limit:
            try:
                fn, args = self._q.get_nowait()
            except queue.Empty:
                break
            fn(*args)
            ran += 1
        return ran

    def empty(self) -> bool:
        return self._q.empty()

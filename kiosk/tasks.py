"""Background work for the app: hub calls, printing, card reads.

Work runs on a small thread pool; its result (or error) comes back to the
app loop through the :class:`~kiosk.events.UiQueue`. Results of a session
that has since ended are dropped, so nothing of the previous person can
reach the next one's screens. While any task is pending the session does
not time out: the kiosk is working for the person.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from kiosk.events import UiQueue

log = logging.getLogger(__name__)
T = TypeVar("T")


class TaskRunner:
    def __init__(self, ui: UiQueue, workers: int = 4) -> None:
        self._ui = ui
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="task")
        self._lock = threading.Lock()
        self._pending = 0
        self.generation = 0  # bumped when a session ends

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._pending > 0

    def new_generation(self) -> None:
        """Forget every pending task's callbacks (the session they belong to ended)."""
        self.generation += 1

    def submit(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        """Run ``fn`` off the UI thread; call ``on_done(result)`` or ``on_error(exc)`` on it."""
        generation = self.generation
        with self._lock:
            self._pending += 1

        def finish(callback: Callable[[Any], None], value: Any) -> None:
            with self._lock:
                self._pending -= 1
            if generation == self.generation:
                callback(value)

        def work() -> None:
            try:
                result = fn()
            except Exception as exc:  # noqa: BLE001 - supervision point: every error goes back to the screen
                log.info("task failed: %s", type(exc).__name__)
                self._ui.post(finish, on_error, exc)
            else:
                self._ui.post(finish, on_done, result)

        self._pool.submit(work)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

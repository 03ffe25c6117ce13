"""What every device watcher shares: one daemon thread, health reported only
when the condition changes, and callbacks that cannot kill the thread.

A watcher subclass implements :meth:`DeviceWatcher._run` (its polling or
blocking loop, which ends when ``self._stop`` is set) and reports through
:meth:`_report_state` and :meth:`_call`. Callbacks run on the watcher's
thread; the app forwards them to its UI queue.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar

from protocol.devices import DeviceHealth, DeviceState

log = logging.getLogger(__name__)


class DeviceWatcher(ABC):
    device: ClassVar[str]  # "idcard", "scanner", "smartcard"
    thread_name: ClassVar[str]

    def __init__(self, on_health: Callable[[DeviceHealth], None]) -> None:
        self._on_health = on_health
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._health: DeviceHealth | None = None

    @property
    def health(self) -> DeviceHealth | None:
        """The last health reported (None before the first report)."""
        return self._health

    def start(self) -> None:
        """Start the thread. Calling it twice without :meth:`stop` is an error."""
        if self._thread is not None:
            raise RuntimeError(f"{type(self).__name__} already started")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to end and wait up to ``timeout`` s for it."""
        self._stop.set()
        self._interrupt()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _interrupt(self) -> None:  # noqa: B027 - optional hook; most watchers need none
        """Wake a thread blocked in the device (override when it can block long)."""

    @abstractmethod
    def _run(self) -> None:
        """The watching loop; returns once ``self._stop`` is set."""

    def _report_state(self, state: DeviceState, detail: str) -> None:
        health = DeviceHealth(self.device, state, detail=detail)
        if health.same_condition(self._health):
            return
        self._health = health
        self._call(self._on_health, health)

    def _call(self, callback: Callable[..., None], *args: object) -> None:
        try:
            callback(*args)
        except Exception:  # supervision point: a bad callback must not stop the watcher
            log.exception("%s watcher: callback %r failed", self.device, callback)

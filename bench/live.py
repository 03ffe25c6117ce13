"""The real terminal in this process, for benchmarks that drive it.

:func:`live_terminal` builds it exactly as ``main.py`` does (real window
under the bench's Xvfb, real fonts, simulated devices, the bench's hub,
real speech unless told otherwise); :class:`FrameClock` records every flip
through ``App.on_frame``; :func:`run_loop` runs the app's own paced loop
(``step`` then ``wait``, as ``App.run_forever``) until a
condition holds.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.common import kiosk_config, shared_display, shared_hub

if TYPE_CHECKING:
    from kiosk.app import App
    from kiosk.runtime import Terminal


class FrameClock:
    """Flip timestamps (``time.perf_counter``) of one app, and a way to wait for the next."""

    def __init__(self) -> None:
        self.count = 0
        self.last = 0.0
        self._cond = threading.Condition()
        self.hook: Callable[[float], None] | None = None

    def __call__(self, at: float) -> None:
        if self.hook is not None:
            self.hook(at)
        with self._cond:
            self.count += 1
            self.last = at
            self._cond.notify_all()

    def wait_beyond(self, count: int, timeout: float) -> bool:
        """Wait until more than ``count`` frames were flipped; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self.count > count, timeout)


@contextlib.contextmanager
def live_terminal(*, speech: Any = None) -> Iterator[tuple[Terminal, App, FrameClock]]:
    """The terminal, built and showing the attract screen, closed on exit."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.pop("SDL_VIDEODRIVER", None)
    with (
        shared_display() as display,
        shared_hub() as hub_url,
        tempfile.TemporaryDirectory(prefix="huimin-bench-live-") as tmp,
    ):
        os.environ["DISPLAY"] = display
        from kiosk.config import load_config
        from kiosk.runtime import Terminal

        config = load_config(kiosk_config(Path(tmp), hub_url))
        terminal = Terminal(config, speech=speech)
        try:
            app = terminal.build()
            frames = FrameClock()
            app.on_frame = frames
            app.draw()
            yield terminal, app, frames
        finally:
            terminal.close()


def run_loop(app: App, until: Callable[[], object], max_s: float) -> bool:
    """The app's own loop (as ``run_forever``) until ``until()``; False if ``max_s`` passed."""
    deadline = time.monotonic() + max_s
    while not until():
        if time.monotonic() > deadline:
            return False
        app.step()
        app.wait()
    return True


def wait_settled(app: App, timeout: float = 10.0) -> None:
    """Step (unpaced) until no task is pending and no result is queued."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.step()
        if not app.tasks.busy and app.ui.empty():
            app.step()
            return
        time.sleep(0.002)
    raise RuntimeError(f"the app did not settle on {app.screen.name}")

"""Waiting between loop passes: asleep until input arrives or a timeout passes.

``clock.tick(30)`` wakes the loop 30 times a second whether or not anything
happened, and input waits for the next tick. On this machine a wake-up costs
~60 µs (a VM under load), so the attract screen's idle loop cost ~0.5 % of a
core, and at 60 fps half of the input-to-frame time was the wait for the next
tick (bench/idle_cpu.py, bench/input_latency.py).

``SDL_WaitEventTimeout(NULL, ms)`` blocks on the display connection (X11 and
Wayland in SDL ≥ 2.0.22) and returns as soon as an event is queued, without
removing it: ~0.07 % of a core waiting, 0.3 ms from event to wake-up.
``pygame.event.wait`` is no substitute: pygame-ce polls with 1 ms sleeps
(~2.2 %). pygame-ce exposes no binding, so the function is taken with ctypes
from the SDL library pygame has already loaded; where that fails (another
build of pygame), ``clock.tick`` paces the loop as before.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
from collections.abc import Callable
from pathlib import Path

import pygame

log = logging.getLogger(__name__)

_WaitFn = Callable[[ctypes.c_void_p | None, int], int]
WAKE = pygame.event.custom_type()  # carries nothing: it only ends a wait
# Returning at once this many times in a row means the queue holds something
# event.get() leaves behind; then pace with the clock instead of spinning.
_MAX_IMMEDIATE = 50


def _loaded_sdl() -> ctypes.CDLL | None:
    """The SDL2 library this process already has loaded (never loads a second copy)."""
    candidates: list[str] = []
    bundled = Path(pygame.__file__).resolve().parent.parent / "pygame_ce.libs"
    if bundled.is_dir():
        candidates += sorted(str(p) for p in bundled.glob("libSDL2-2*.so*"))
    system = ctypes.util.find_library("SDL2-2.0") or "libSDL2-2.0.so.0"
    candidates.append(system)
    for name in candidates:
        try:
            return ctypes.CDLL(name, mode=os.RTLD_NOLOAD)
        except OSError:
            continue
    return None


class InputWait:
    """Sleeps until an event is queued or ``timeout_ms`` passes."""

    def __init__(self, clock: pygame.time.Clock) -> None:
        self._clock = clock
        self._immediate = 0
        self._wait = self._find()

    @staticmethod
    def _find() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
        sdl = _loaded_sdl()
        fn = getattr(sdl, "SDL_WaitEventTimeout", None) if sdl is not None else None
        if fn is None:
            log.info("SDL_WaitEventTimeout not reachable: the loop is paced by clock.tick")
            return None
        fn.argtypes = [ctypes.c_void_p, ctypes.c_int]
        fn.restype = ctypes.c_int
        return fn

    @property
    def blocking(self) -> bool:
        """True when waits wake on input; False when they are plain clock ticks."""
        return self._wait is not None

    def __call__(self, timeout_ms: int) -> None:
        if self._wait is None or self._immediate >= _MAX_IMMEDIATE:
            self._immediate = 0
            self._clock.tick(1000 / max(1, timeout_ms))
            return
        if self._wait(None, timeout_ms):
            self._immediate += 1  # an event is queued: the next step takes it
        else:
            self._immediate = 0


def wake() -> None:
    """End the app loop's wait now; safe from any thread (SDL_PushEvent is).

    Callbacks posted by drivers and tasks call this, so the idle loop can
    sleep long and a card read still shows at once.
    """
    if pygame.display.get_init():
        with contextlib.suppress(pygame.error):  # the display closed meanwhile: shutdown
            pygame.event.post(pygame.event.Event(WAKE))

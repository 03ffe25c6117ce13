"""Card insertion/removal and reader presence for one PC/SC reader.

Why not pyscard's ``CardMonitor``: it is a process-wide singleton whose
thread never stops, and it ends for good on ``SCARD_E_NO_SERVICE``, so a
kiosk would never see the reader again after pcscd restarts. This watcher
runs its own thread on the same PC/SC call (``SCardGetStatusChange``) with
a bounded wait, re-establishes the context when pcscd comes back, and can
be stopped (``SCardCancel`` wakes it at once).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from drivers.watching import DeviceWatcher
from protocol.devices import DeviceHealth, DeviceState

from .transport import find_reader_name

log = logging.getLogger(__name__)

DEVICE = "smartcard"
WAIT_MS = 500  # one SCardGetStatusChange wait; bounds how long stop() can take
RETRY_S = 0.5  # pause before asking pcscd again when it or the reader is missing


class CardWatcher(DeviceWatcher):
    """Watches one reader and posts callbacks from its own thread.

    ``on_insert(reader_name)`` when a card arrives (also for a card already
    present at start), ``on_remove()`` when it leaves, ``on_health(health)``
    on each change of reader state: NODEVICE while no reader matches (or
    pcscd is down), ONLINE when it is there. Callbacks must be quick (post an
    event); an exception in one is logged, never kills the watcher.
    """

    device = DEVICE
    thread_name = "card-watcher"

    def __init__(
        self,
        reader: str,
        on_insert: Callable[[str], None],
        on_remove: Callable[[], None],
        on_health: Callable[[DeviceHealth], None],
    ) -> None:
        super().__init__(on_health)
        self.reader = reader
        self._on_insert = on_insert
        self._on_remove = on_remove
        self._context: Any = None
        self._context_lock = threading.Lock()
        self._card_present = False

    def _interrupt(self) -> None:
        """SCardCancel wakes a SCardGetStatusChange wait at once."""
        from smartcard import scard

        with self._context_lock:
            if self._context is not None:
                scard.SCardCancel(self._context)

    # -- thread --------------------------------------------------------------

    def _card(self, present: bool, name: str) -> None:
        if present != self._card_present:
            self._card_present = present
            if present:
                self._call(self._on_insert, name)
            else:
                self._call(self._on_remove)

    def _run(self) -> None:
        from smartcard import scard

        while not self._stop.is_set():
            hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if hresult != scard.SCARD_S_SUCCESS:
                self._card(False, "")
                self._report_state(DeviceState.NODEVICE, "PC/SC service not running")
                self._stop.wait(RETRY_S)
                continue
            with self._context_lock:
                self._context = context
            try:
                self._watch(context)
            finally:
                with self._context_lock:
                    self._context = None
                scard.SCardReleaseContext(context)

    def _watch(self, context: Any) -> None:
        """Watch until pcscd goes away or stop() is called."""
        from smartcard import scard

        lost_service = (
            scard.SCARD_E_NO_SERVICE,
            scard.SCARD_E_INVALID_HANDLE,
            getattr(scard, "SCARD_E_SERVICE_STOPPED", scard.SCARD_E_NO_SERVICE),
        )
        while not self._stop.is_set():
            hresult, names = scard.SCardListReaders(context, [])
            if hresult in lost_service:
                return
            name = find_reader_name(
                list(names) if hresult == scard.SCARD_S_SUCCESS else [], self.reader
            )
            if name is None:
                self._card(False, "")
                self._report_state(DeviceState.NODEVICE, f"no reader matching {self.reader!r}")
                self._stop.wait(RETRY_S)
                continue
            self._report_state(DeviceState.ONLINE, name)
            known = scard.SCARD_STATE_UNAWARE
            while not self._stop.is_set():
                hresult, states = scard.SCardGetStatusChange(context, WAIT_MS, [(name, known)])
                if hresult == scard.SCARD_E_TIMEOUT:
                    continue
                if hresult in lost_service:
                    return
                if hresult != scard.SCARD_S_SUCCESS:
                    break  # cancelled, or the reader went away: list readers again
                _, event_state, _atr = states[0]
                if event_state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_IGNORE):
                    break
                self._card(bool(event_state & scard.SCARD_STATE_PRESENT), name)
                known = event_state & ~scard.SCARD_STATE_CHANGED

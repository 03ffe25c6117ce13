"""A daemon thread that watches the reader for cards and keeps it connected."""

from __future__ import annotations

import logging
from collections.abc import Callable

from drivers.errors import CardError, DeviceError, DeviceOffline, ProtocolError
from drivers.idcard.card import IdCard
from drivers.idcard.reader import DEFAULT_BAUDRATE, DEVICE, IdCardReader
from drivers.idcard.status import NoCard, SamFault
from drivers.idcard.transport import NODEVICE
from drivers.watching import DeviceWatcher
from protocol.devices import DeviceHealth, DeviceState

log = logging.getLogger(__name__)

# Spec "Usage": poll for a card no faster than every 300 ms.
MIN_POLL_INTERVAL_MS = 300
# Corrupt read replies (line noise) tolerated per placement before on_error.
MAX_GLITCHES = 3
# Consecutive corrupt poll replies before the reader counts as OFFLINE.
MAX_POLL_ERRORS = 5


class IdCardWatcher(DeviceWatcher):
    """Polls find → select → read on a daemon thread and reports what happens.

    Callbacks run on the watcher thread (the app forwards them to its UI
    queue); an exception in a callback is logged and does not stop watching.

    - ``on_card(card)`` once per placement, not again while the card stays.
      A different card swapped in between two polls (other select answer)
      counts as removal plus a new placement.
    - ``on_removed()`` when the card is lifted; ``on_card`` and
      ``on_removed`` strictly alternate (when the reader goes away with a
      card on it, ``on_removed`` is called because presence is unknown).
    - ``on_error(exc)`` for failures the person must hear about: a
      :class:`CardError` while reading a placed card, or a
      :class:`ProtocolError` that persisted over three polls (a single
      corrupt frame is retried silently). Per spec "Usage" the card must then
      be lifted and placed again, so it is not retried until it is.
    - ``on_health(health)`` on every change of state: NODEVICE when the port
      vanished, OFFLINE when it does not answer, HWERROR for SAM faults,
      ONLINE once the SAM answers its status again. Five polls in a row
      answered with corrupt frames also count as OFFLINE. While not ONLINE the
      port is reopened with exponential backoff between ``backoff_min`` and
      ``backoff_max`` seconds.

    ``poll_interval_ms`` is clamped to at least 300 ms.
    """

    device = DEVICE
    thread_name = "idcard-watcher"

    def __init__(
        self,
        port: str,
        baudrate: int = DEFAULT_BAUDRATE,
        poll_interval_ms: int = 400,
        *,
        on_card: Callable[[IdCard], None],
        on_removed: Callable[[], None],
        on_error: Callable[[DeviceError], None],
        on_health: Callable[[DeviceHealth], None],
        read_timeout: float = 3.0,
        command_timeout: float = 1.0,
        backoff_min: float = 0.2,
        backoff_max: float = 2.0,
    ) -> None:
        super().__init__(on_health)
        self.port = port
        self.baudrate = baudrate
        self.poll_interval = max(poll_interval_ms, MIN_POLL_INTERVAL_MS) / 1000
        self._on_card = on_card
        self._on_removed = on_removed
        self._on_error = on_error
        self._read_timeout = read_timeout
        self._command_timeout = command_timeout
        self._backoff_min = backoff_min
        self._backoff_max = backoff_max
        self._present: bytes | None = None  # select answer of the card reported by on_card
        self._failed: bytes | None = None  # select answer of a card whose read failed
        self._glitches = 0  # corrupt read replies for the card on the reader
        self._poll_errors = 0  # consecutive corrupt find/select replies

    # -- the thread ------------------------------------------------------

    def _run(self) -> None:
        reader: IdCardReader | None = None
        backoff = self._backoff_min
        try:
            while not self._stop.is_set():
                if reader is None:
                    reader = self._connect()
                    if reader is None:
                        self._stop.wait(backoff)
                        backoff = min(backoff * 2, self._backoff_max)
                        continue
                    backoff = self._backoff_min
                try:
                    self._poll(reader)
                except (DeviceOffline, SamFault) as exc:
                    # DeviceOffline covers DeviceTimeout: the reader stopped answering.
                    log.warning("ID-card reader lost: %s", exc.detail)
                    reader.close()
                    reader = None
                    self._report(exc)
                    self._forget_card()
                    continue
                except Exception as exc:  # supervision point: keep watching
                    log.exception("ID-card watcher: unexpected error in poll")
                    self._report_state(DeviceState.HWERROR, f"unexpected: {exc!r}")
                self._stop.wait(self.poll_interval)
        finally:
            if reader is not None:
                reader.close()

    def _connect(self) -> IdCardReader | None:
        reader = IdCardReader(self.port, self.baudrate)
        try:
            reader.open()
            reader.sam_status(self._command_timeout)
        except DeviceError as exc:
            reader.close()
            self._report(exc)
            return None
        self._report_state(DeviceState.ONLINE, "SAM status OK")
        return reader

    def _poll(self, reader: IdCardReader) -> None:
        try:
            found = reader.find_card(self._command_timeout)
            tag = reader.select_card(self._command_timeout) if found else None
        except NoCard:
            tag = None  # lifted between find and select
        except ProtocolError as exc:
            self._poll_errors += 1
            if self._poll_errors >= MAX_POLL_ERRORS:
                # Nothing but noise (wrong baud rate, failing cable): treat the
                # reader as offline and reopen it rather than stay ONLINE.
                self._poll_errors = 0
                raise DeviceOffline(f"{MAX_POLL_ERRORS} corrupt replies in a row") from exc
            log.info("ID-card poll: corrupt frame ignored (%s)", exc.detail)
            return
        except CardError as exc:
            log.info("ID-card poll: select failed (%s)", exc.detail)
            return
        self._poll_errors = 0
        if tag is None:
            self._failed = None
            self._glitches = 0
            self._forget_card()
            return
        if tag in (self._present, self._failed):
            return  # same card still lying there
        self._forget_card()  # a different card replaced the one reported
        try:
            card = reader.read_selected(self._read_timeout)
        except ProtocolError as exc:
            # Line noise, not the card: try again at the next polls before
            # bothering the person.
            self._glitches += 1
            if self._glitches < MAX_GLITCHES:
                log.info("ID-card read: corrupt frame, retrying (%s)", exc.detail)
                return
            self._failed = tag
            self._call(self._on_error, exc)
            return
        except CardError as exc:
            self._failed = tag
            self._call(self._on_error, exc)
            return
        self._failed = None
        self._glitches = 0
        self._present = tag
        self._report_state(DeviceState.ONLINE, "card read")
        self._call(self._on_card, card)

    # -- reporting ---------------------------------------------------------

    def _forget_card(self) -> None:
        if self._present is not None:
            self._present = None
            self._call(self._on_removed)

    def _report(self, exc: DeviceError) -> None:
        if isinstance(exc, SamFault):
            state = DeviceState.HWERROR
        elif isinstance(exc, DeviceOffline) and exc.code == NODEVICE:
            state = DeviceState.NODEVICE
        else:
            state = DeviceState.OFFLINE
        self._report_state(state, exc.detail)

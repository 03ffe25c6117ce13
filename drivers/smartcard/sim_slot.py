"""A simulated reader slot: insert/remove emulated cards in-process.

It is both the watcher (same callbacks as :class:`CardWatcher`) and the
transport of the simulated reader, so ``SmartCardReader.from_transport(slot)``
runs the real reading logic against whatever card is inserted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from protocol.devices import DeviceHealth, DeviceState

from .errors import CardRemoved, NoCard
from .transport import EmulatedCard, split_response
from .watcher import DEVICE


class SimCardSlot:
    """``insert(card)`` / ``remove()`` fire ``on_insert(reader_name)`` / ``on_remove()``.

    ``start()`` reports ONLINE health (and an insert if a card is already in);
    ``stop()`` reports nothing further. A read while no card is inserted raises
    :class:`NoCard`; a card removed mid-read raises :class:`CardRemoved`.
    """

    def __init__(
        self,
        on_insert: Callable[[str], None] | None = None,
        on_remove: Callable[[], None] | None = None,
        on_health: Callable[[DeviceHealth], None] | None = None,
        reader_name: str = "Huimin Sim Reader",
    ) -> None:
        self.reader_name = reader_name
        self._on_insert = on_insert or (lambda _name: None)
        self._on_remove = on_remove or (lambda: None)
        self._on_health = on_health or (lambda _health: None)
        # Re-entrant: a card (or test) may pull itself out while answering a command.
        self._lock = threading.RLock()
        self._card: EmulatedCard | None = None
        self._connected: EmulatedCard | None = None
        self._running = False

    def start(self) -> None:
        self._running = True
        self._on_health(DeviceHealth(DEVICE, DeviceState.ONLINE, detail=self.reader_name))
        if self._card is not None:
            self._on_insert(self.reader_name)

    def stop(self) -> None:
        self._running = False

    def insert(self, card: EmulatedCard) -> None:
        with self._lock:
            if self._card is not None:
                raise RuntimeError("a card is already in the slot")
            self._card = card
        if self._running:
            self._on_insert(self.reader_name)

    def remove(self) -> None:
        with self._lock:
            had_card = self._card is not None
            self._card = None
            self._connected = None
        if had_card and self._running:
            self._on_remove()

    @property
    def card_present(self) -> bool:
        return self._card is not None

    # -- CardTransport ---------------------------------------------------------

    def connect(self) -> bytes:
        with self._lock:
            if self._card is None:
                raise NoCard(f"no card in {self.reader_name}")
            self._card.powerUp()
            self._connected = self._card
            return self._card.getATR()

    def transmit(self, apdu: bytes) -> tuple[bytes, int, int]:
        with self._lock:
            card = self._connected
            if card is None or card is not self._card:
                raise CardRemoved(f"card left {self.reader_name}")
            return split_response(card.execute(apdu))

    def disconnect(self) -> None:
        with self._lock:
            if self._connected is not None and self._connected is self._card:
                self._connected.powerDown()
            self._connected = None

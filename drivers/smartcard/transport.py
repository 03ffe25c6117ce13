"""The transports under every card read: PC/SC (pyscard) and in-process simulation.

Each is a thin :class:`~drivers.smartcard.apdu.CardTransport`: connect (ATR),
``transmit(apdu) -> (data, sw1, sw2)``, disconnect. pyscard's exceptions are
translated here, at the boundary, keeping the PC/SC hresult as ``code``.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Protocol

from drivers.errors import ProtocolError

from .errors import CardRemoved, NoCard, ReaderNotFound


class EmulatedCard(Protocol):
    """virtualsmartcard's ``SmartcardOS`` interface (duck-typed, see drivers.sim.cards)."""

    def getATR(self) -> bytes: ...  # noqa: N802 - virtualsmartcard's name

    def powerUp(self) -> None: ...  # noqa: N802

    def powerDown(self) -> None: ...  # noqa: N802

    def execute(self, msg: bytes) -> bytes: ...


def find_reader_name(names: list[str], wanted: str) -> str | None:
    """The first reader whose name contains ``wanted`` (empty = the first reader)."""
    for name in names:
        if wanted in name:
            return name
    return None


class PcscTransport:
    """A card in a PC/SC reader, through pyscard.

    ``reader`` is a substring of the reader name ("" = first reader).
    ``connect`` raises :class:`ReaderNotFound` (no such reader, or pcscd not
    running) or :class:`NoCard`; ``transmit`` raises :class:`CardRemoved`.
    """

    def __init__(self, reader: str = "") -> None:
        self.reader = reader
        self.reader_name = ""
        self._connection: Any = None

    def connect(self) -> bytes:
        from smartcard.Exceptions import NoCardException, SmartcardException
        from smartcard.pcsc.PCSCExceptions import BaseSCardException
        from smartcard.System import readers

        try:
            available = readers()
        except BaseSCardException as exc:
            raise ReaderNotFound(f"PC/SC service not reachable: {exc}", code=exc.hresult) from exc
        name = find_reader_name([str(r) for r in available], self.reader)
        if name is None:
            raise ReaderNotFound(
                f"no reader matching {self.reader!r} among {[str(r) for r in available]}"
            )
        reader = next(r for r in available if str(r) == name)
        connection = reader.createConnection()
        try:
            connection.connect()
        except NoCardException as exc:
            connection.release()
            raise NoCard(f"no card in {name}", code=exc.hresult) from exc
        except SmartcardException as exc:
            connection.release()
            raise CardRemoved(
                f"cannot connect to the card in {name}: {exc}", code=exc.hresult
            ) from exc
        self.reader_name = name
        self._connection = connection
        return bytes(connection.getATR())

    def transmit(self, apdu: bytes) -> tuple[bytes, int, int]:
        from smartcard.Exceptions import CardConnectionException

        if self._connection is None:
            raise NoCard("transmit before connect")
        try:
            data, sw1, sw2 = self._connection.transmit(list(apdu))
        except CardConnectionException as exc:
            # The message carries the PC/SC reason only, never the APDU.
            raise CardRemoved(f"card lost during transmit: {exc}", code=exc.hresult) from exc
        return bytes(data), sw1, sw2

    def disconnect(self) -> None:
        from smartcard.Exceptions import SmartcardException
        from smartcard.pcsc.PCSCExceptions import BaseSCardException

        connection, self._connection = self._connection, None
        if connection is None:
            return
        # The card or pcscd may already be gone: there is nothing left to release then.
        with contextlib.suppress(SmartcardException, BaseSCardException):
            connection.disconnect()
        with contextlib.suppress(SmartcardException, BaseSCardException):
            connection.release()


class SimTransport:
    """An emulated card OS called directly, in-process (the demo's ``type = "sim"``).

    The card is "in the reader" for the transport's lifetime; use
    :class:`~drivers.smartcard.sim_slot.SimCardSlot` for insert/remove.
    """

    def __init__(self, card: EmulatedCard, reader_name: str = "Huimin Sim Reader") -> None:
        self.card = card
        self.reader_name = reader_name
        self._lock = threading.Lock()
        self._powered = False

    def connect(self) -> bytes:
        with self._lock:
            self.card.powerUp()
            self._powered = True
            return self.card.getATR()

    def transmit(self, apdu: bytes) -> tuple[bytes, int, int]:
        with self._lock:
            if not self._powered:
                raise NoCard("transmit before connect")
            return split_response(self.card.execute(apdu))

    def disconnect(self) -> None:
        with self._lock:
            if self._powered:
                self.card.powerDown()
                self._powered = False


def split_response(response: bytes) -> tuple[bytes, int, int]:
    """``data + SW1 SW2`` → ``(data, sw1, sw2)``; ProtocolError under 2 bytes."""
    if len(response) < 2:
        raise ProtocolError(f"response APDU of {len(response)} bytes has no status word")
    return bytes(response[:-2]), response[-2], response[-1]

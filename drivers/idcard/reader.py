"""The ID-card reader driver: SAM commands over a serial line.

Built on two primitives of :class:`SerialLink` (write, read what came) plus
the byte-level :mod:`frames` and :mod:`text` modules. Command frames and reply
shapes are from specs/idcard-reader.md "Commands".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from types import TracebackType

from drivers.errors import DeviceError, DeviceOffline, DeviceTimeout, ProtocolError
from drivers.idcard.card import IdCard
from drivers.idcard.frames import FrameParser, Reply, encode_request
from drivers.idcard.status import (
    SW3_FOUND,
    SW3_OK,
    NoCard,
    error_for_sw3,
    health_for_sw3,
)
from drivers.idcard.text import PHOTO_LEN, TEXT_LEN, decode_read_data
from drivers.idcard.transport import NODEVICE, SerialLink
from protocol.devices import DeviceHealth, DeviceState

log = logging.getLogger(__name__)

DEVICE = "idcard"
DEFAULT_BAUDRATE = 115200

# (CMD, PARA) of each request (spec "Commands").
RESET_SAM = (0x10, 0xFF)
SAM_STATUS = (0x11, 0xFF)
SAM_ID = (0x12, 0xFF)
FIND_CARD = (0x20, 0x01)
SELECT_CARD = (0x20, 0x02)
READ_TEXT_PHOTO = (0x30, 0x01)
READ_WITH_FINGERPRINT = (0x30, 0x10)

SAM_ID_LEN = 16
SELECT_DATA_LEN = 8
FIND_DATA_LEN = 4
_READ_DATA_LEN = 4 + TEXT_LEN + PHOTO_LEN

# SW3 codes that mean "the SAM did not like our frame": worth one resend.
_RESEND_SW3 = frozenset({0x10, 0x11, 0x21})


def _fits(ok_sw3: int, data_len: Callable[[int], bool]) -> Callable[[Reply], bool]:
    """A predicate telling a reply to this command from a late reply to another.

    Error replies fit every command (they carry no data to tell them apart).
    """

    def fits(reply: Reply) -> bool:
        if reply.sw3 not in (SW3_OK, SW3_FOUND):
            return True
        return reply.sw3 == ok_sw3 and data_len(len(reply.data))

    return fits


def _fp_len_ok(n: int) -> bool:
    return n >= 6 + TEXT_LEN + PHOTO_LEN


def format_sam_id(data: bytes) -> str:
    """The SAM number as printed on readers, e.g. ``05.01-20101014-000012345-000067890``.

    Bytes 0 and 2 are the version, bytes 4-7, 8-11, 12-15 little-endian
    unsigned numbers (the layout public SAM tools use; verify on a real reader).
    """
    if len(data) != SAM_ID_LEN:
        raise ProtocolError(f"SAM id is {len(data)} bytes, expected {SAM_ID_LEN}")

    def u32(i: int) -> int:
        return int.from_bytes(data[i : i + 4], "little")

    return f"{data[0]:02d}.{data[2]:02d}-{u32(4)}-{u32(8):09d}-{u32(12):09d}"


class IdCardReader:
    """A 二代证 reader on ``port`` (e.g. ``/dev/ttyUSB0``), 8N1 at ``baudrate``.

    Use as a context manager (or call :meth:`open` / :meth:`close`); nothing
    opens lazily. Every method takes a ``timeout`` in seconds for the whole
    operation and raises a :class:`drivers.errors.DeviceError` subclass:
    :class:`DeviceOffline` (port gone, ``code="nodevice"``),
    :class:`DeviceTimeout` (no answer), :class:`ProtocolError` (corrupt
    frames even after one resend), :class:`drivers.errors.CardError`
    subclasses for SW3 card codes, :class:`SamFault` for SAM faults.
    Not thread-safe: one thread (normally :class:`IdCardWatcher`) owns it.

    ``quiet_gap`` (s) is how long the line may stay silent in the middle of
    a frame before the frame is given up as truncated (a lost byte).
    """

    def __init__(
        self, port: str, baudrate: int = DEFAULT_BAUDRATE, *, quiet_gap: float = 0.15
    ) -> None:
        self._link = SerialLink(port, baudrate)
        self._parser = FrameParser()
        self._quiet_gap = quiet_gap
        self._health = DeviceHealth(DEVICE, DeviceState.NODEVICE, detail="not opened")

    # -- lifecycle ---------------------------------------------------------

    def open(self) -> None:
        """Open the port. Raises :class:`DeviceOffline` when it is missing or busy."""
        try:
            self._link.open()
        except DeviceOffline as exc:
            self._set_health_from(exc)
            raise
        self._parser.reset()
        self._set_health(DeviceState.ONLINE, "port open")

    def close(self) -> None:
        self._link.close()
        self._set_health(DeviceState.NODEVICE, "closed")

    def __enter__(self) -> IdCardReader:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def health(self) -> DeviceHealth:
        """The reader's condition as of the last command (ONLINE, OFFLINE, NODEVICE, HWERROR)."""
        return self._health

    # -- SAM ---------------------------------------------------------------

    def reset_sam(self) -> None:
        """Reset the security module. The spec lists no reply, so none is awaited."""
        self._link.reset_input()
        self._link.write(encode_request(*RESET_SAM))

    def sam_status(self, timeout: float = 1.0) -> None:
        """Ask the SAM for its status; returns when it answers 0x90 (healthy).

        Raises :class:`SamFault` (0x60 self-test failed, 0x66 not authorised…).
        """
        self._command(SAM_STATUS, _fits(SW3_OK, lambda n: n == 0), timeout)

    def sam_id(self, timeout: float = 1.0) -> str:
        """The SAM's number, formatted as by :func:`format_sam_id`."""
        reply = self._command(SAM_ID, _fits(SW3_OK, lambda n: n == SAM_ID_LEN), timeout)
        return format_sam_id(reply.data)

    # -- card --------------------------------------------------------------

    def find_card(self, timeout: float = 1.0) -> bool:
        """True when a card is on the reader (SW3 0x9F), False for 0x80."""
        fits = _fits(SW3_FOUND, lambda n: n == FIND_DATA_LEN)
        try:
            self._command(FIND_CARD, fits, timeout, ok=SW3_FOUND)
        except NoCard:
            return False
        return True

    def select_card(self, timeout: float = 1.0) -> bytes:
        """Select the found card; returns the 8 bytes the SAM answers (they identify it).

        Raises :class:`NoCard` when the card left, a CardError for 0x81.
        """
        fits = _fits(SW3_OK, lambda n: n == SELECT_DATA_LEN)
        return self._command(SELECT_CARD, fits, timeout).data

    def read_selected(self, timeout: float = 3.0, *, with_fingerprint: bool = False) -> IdCard:
        """Read text and photo (and fingerprint) of the card just found and selected."""
        # No blind resend here: the SAM forgets the selection after a read, so
        # a second read would fail with 0x41. read_card restarts from find.
        if with_fingerprint:
            fits = _fits(SW3_OK, _fp_len_ok)
            reply = self._command(READ_WITH_FINGERPRINT, fits, timeout, resend=False)
        else:
            fits = _fits(SW3_OK, lambda n: n == _READ_DATA_LEN)
            reply = self._command(READ_TEXT_PHOTO, fits, timeout, resend=False)
        return decode_read_data(reply.data, with_fingerprint=with_fingerprint)

    def read_card(self, timeout: float = 3.0) -> IdCard | None:
        """Find, select and read the card on the reader within ``timeout`` seconds.

        Returns None when no card is present. An expired card is returned as
        read; call :func:`drivers.idcard.ensure_usable` to refuse it. A
        corrupt frame (line noise) restarts the find-select-read sequence once.
        """
        return self._read(timeout, with_fingerprint=False)

    def read_card_with_fingerprint(self, timeout: float = 3.0) -> IdCard | None:
        """Like :meth:`read_card`, also filling ``IdCard.fingerprint`` (empty if none)."""
        return self._read(timeout, with_fingerprint=True)

    def _read(self, timeout: float, *, with_fingerprint: bool) -> IdCard | None:
        deadline = time.monotonic() + timeout
        for attempt in (1, 2):
            try:
                if not self.find_card(_left(deadline)):
                    return None
                self.select_card(_left(deadline))
                return self.read_selected(_left(deadline), with_fingerprint=with_fingerprint)
            except NoCard:
                return None  # lifted between find and select/read
            except ProtocolError:
                if attempt == 2 or _left(deadline) <= 0:
                    raise
                log.info("ID-card read: corrupt frame, restarting find/select/read")
        raise AssertionError("unreachable: the loop returns or raises")

    # -- one command -------------------------------------------------------

    def _command(
        self,
        request: tuple[int, int],
        fits: Callable[[Reply], bool],
        timeout: float,
        *,
        ok: int = SW3_OK,
        resend: bool = True,
    ) -> Reply:
        """Send one request and return its good reply, resending once on a corrupt frame."""
        deadline = time.monotonic() + timeout
        frame = encode_request(*request)
        for attempt in (1, 2) if resend else (2,):
            try:
                reply = self._exchange(frame, fits, deadline)
            except DeviceError as exc:
                self._set_health_from(exc)
                if isinstance(exc, ProtocolError) and attempt == 1 and _left(deadline) > 0:
                    continue
                raise
            if reply.sw3 in _RESEND_SW3 and attempt == 1 and _left(deadline) > 0:
                continue  # the SAM saw our frame garbled: send it again
            if reply.sw3 == ok:
                self._set_health(DeviceState.ONLINE)
                return reply
            error = error_for_sw3(reply.sw3, f"command {request[0]:02X} {request[1]:02X}")
            self._set_health(health_for_sw3(reply.sw3), error.detail)
            raise error
        raise AssertionError("unreachable: the loop returns or raises")

    def _exchange(self, frame: bytes, fits: Callable[[Reply], bool], deadline: float) -> Reply:
        # A late reply to an earlier, timed-out command may sit in the buffer.
        self._link.reset_input()
        self._parser.reset()
        self._link.write(frame)
        bad_before = self._parser.bad_frames
        stale = 0
        while True:
            left = _left(deadline)
            if left <= 0:
                if self._parser.bad_frames > bad_before:
                    raise ProtocolError("reply checksum mismatch")
                raise DeviceTimeout(f"no reply within the timeout ({stale} stale replies)")
            in_frame = self._parser.in_frame
            # After a frame went wrong, a short silence means nothing good is coming.
            short = in_frame or self._parser.bad_frames > bad_before
            data = self._link.read_some(min(left, self._quiet_gap) if short else left)
            if data:
                bodies = self._parser.feed(data)
            elif in_frame:
                # Silence in mid-frame: a byte was lost. Give the frame up and
                # look for a later preamble in what we already hold.
                bodies = []
                while self._parser.in_frame and not bodies:
                    bodies = self._parser.abandon_partial()
                if not bodies:
                    raise ProtocolError("truncated frame (line went quiet mid-frame)")
            else:
                bodies = []
                if self._parser.bad_frames > bad_before:
                    raise ProtocolError("reply checksum mismatch")
            for body in bodies:
                reply = Reply.from_body(body)
                if fits(reply):
                    return reply
                stale += 1

    # -- health --------------------------------------------------------------

    def _set_health(self, state: DeviceState, detail: str = "") -> None:
        if state != self._health.state:
            self._health = DeviceHealth(DEVICE, state, detail=detail)

    def _set_health_from(self, exc: DeviceError) -> None:
        if isinstance(exc, DeviceTimeout):
            self._set_health(DeviceState.OFFLINE, "no reply")
        elif isinstance(exc, DeviceOffline):
            state = DeviceState.NODEVICE if exc.code == NODEVICE else DeviceState.OFFLINE
            self._set_health(state, exc.detail)


def _left(deadline: float) -> float:
    return deadline - time.monotonic()

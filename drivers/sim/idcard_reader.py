"""A simulated 二代证 reader answering real SAM frames on a pseudo-terminal.

The real :class:`drivers.idcard.IdCardReader` runs unchanged against it: the
demo (``type = "sim"``) and the tests use the same code path as a kiosk with a
USB reader. Replies are byte-exact per specs/idcard-reader.md "Commands".
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import select
import threading
import time
import tty
from collections import deque
from pathlib import Path

from drivers.idcard.frames import MIN_REQUEST_LEN, FrameParser, Request, encode_reply
from drivers.idcard.text import encode_read_data
from drivers.sim.demo_cards import SimCard

FAULT_MODES = ("garbage", "bad_checksum", "slow", "read_fail", "lost_byte")

# A SAM number in the 16-byte layout of drivers.idcard.reader.format_sam_id.
DEFAULT_SAM_ID = (
    bytes([5, 0, 1, 0])
    + (20101014).to_bytes(4, "little")
    + (12345).to_bytes(4, "little")
    + (67890).to_bytes(4, "little")
)


class PtyEndpoint:
    """The device end of a serial line: our own openpty pair, or a path we attach to.

    ``open_pair(link)`` makes a raw pty pair and returns the path the driver
    opens (``link``, a symlink we create, when given: a stable name like the
    udev ``/dev/idcard`` link, so unplug/replug keeps the path). ``attach``
    opens an existing tty (the far end of ``socat pty,raw,echo=0 pty,...``).
    """

    def __init__(self) -> None:
        self.fd: int | None = None
        self._slave_fd: int | None = None
        self._link: Path | None = None

    def open_pair(self, link: str | None = None) -> str:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line discipline: bytes pass as they are
        self.fd, self._slave_fd = master, slave
        path = os.ttyname(slave)
        if link is not None:
            self._link = Path(link)
            self._link.unlink(missing_ok=True)
            self._link.symlink_to(path)
            return str(self._link)
        return path

    def attach(self, path: str) -> None:
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(fd)
        self.fd = fd

    def read(self, timeout: float) -> bytes | None:
        """Bytes that arrived within ``timeout``; None when the line is gone."""
        if self.fd is None:
            return None
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return b""
        try:
            data = os.read(self.fd, 4096)
        except OSError as exc:
            if exc.errno == errno.EAGAIN:
                return b""
            return None  # EIO: the other side (socat) went away
        return data or None

    def write(self, data: bytes, timeout: float = 2.0) -> bool:
        """Write all of ``data`` within ``timeout``; False when the line is gone."""
        deadline = time.monotonic() + timeout
        view = memoryview(data)
        while view and self.fd is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            _, ready, _ = select.select([], [self.fd], [], left)
            if not ready:
                continue
            try:
                n = os.write(self.fd, view)
            except OSError:
                return False
            view = view[n:]
        return not view

    def close(self) -> None:
        for fd in (self.fd, self._slave_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.fd = self._slave_fd = None
        if self._link is not None:
            self._link.unlink(missing_ok=True)
            self._link = None


class IdCardSimulator:
    """A SAM reader with a card slot, on a pty, with injectable faults.

    ``IdCardSimulator()`` opens its own raw pty pair; ``link`` gives the
    driver end a stable symlink path. ``IdCardSimulator(attach=path, link=A)``
    serves on an existing tty instead (``path`` = socat's end B; ``start``
    then returns ``link``, socat's end A, or ``path`` when no link is given).
    ``start`` returns the path the driver opens; ``stop`` is "unplugging":
    the driver sees its port hang up. A stopped simulator can start again.

    Faults (:meth:`set_fault`): ``garbage`` noise (including false preambles)
    before every reply; ``bad_checksum`` on every reply; ``slow`` replies
    after ``slow_delay`` seconds; ``read_fail`` answers reads with SW3 0x41;
    ``lost_byte`` drops one byte from the middle of the next reply only (a
    single glitch; the fault then clears itself).

    Like a real SAM it insists on find then select before every read.
    :attr:`requests` lists (monotonic time, CMD, PARA) of the last 1000 requests.
    """

    def __init__(
        self,
        attach: str | None = None,
        link: str | None = None,
        *,
        slow_delay: float = 1.5,
        sam_id: bytes = DEFAULT_SAM_ID,
        seed: int = 0,
    ) -> None:
        self._attach = attach
        self._link = link
        self.slow_delay = slow_delay
        self.sam_id = sam_id
        self._requests: deque[tuple[float, int, int]] = deque(maxlen=1000)
        self.faults_injected = 0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._card: SimCard | None = None
        self._selected = False
        self._fault: str | None = None
        self._fault_cmd: int | None = None
        self._endpoint: PtyEndpoint | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.path: str | None = None

    # -- control -----------------------------------------------------------

    def start(self) -> str:
        """Open the line and serve on a daemon thread; returns the driver's path."""
        if self._thread is not None:
            raise RuntimeError("simulator already started")
        endpoint = PtyEndpoint()
        if self._attach is not None:
            endpoint.attach(self._attach)
            self.path = self._link or self._attach
        else:
            self.path = endpoint.open_pair(self._link)
        self._endpoint = endpoint
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="idcard-sim", daemon=True)
        self._thread.start()
        return self.path

    def stop(self) -> None:
        """Stop serving and close the line (the driver sees the device vanish)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None
        if self._endpoint is not None:
            self._endpoint.close()
            self._endpoint = None

    def place(self, card: SimCard) -> None:
        """Put ``card`` on the reader (replacing any card there)."""
        with self._lock:
            self._card = card
            self._selected = False

    def remove(self) -> None:
        with self._lock:
            self._card = None
            self._selected = False

    @property
    def requests(self) -> list[tuple[float, int, int]]:
        """A copy of the request log, safe to iterate while the simulator serves."""
        with self._lock:
            return list(self._requests)

    @property
    def card(self) -> SimCard | None:
        return self._card

    def set_fault(self, mode: str | None, *, on_command: int | None = None) -> None:
        """Inject one of :data:`FAULT_MODES`, or clear faults with None.

        ``on_command`` limits the fault to replies to that CMD byte (e.g.
        0x30, the reads), so a test can hit the long frame in particular.
        """
        if mode is not None and mode not in FAULT_MODES:
            raise ValueError(f"unknown fault {mode!r}; choose one of {FAULT_MODES}")
        with self._lock:
            self._fault = mode
            self._fault_cmd = on_command

    @property
    def fault(self) -> str | None:
        return self._fault

    # -- serving -----------------------------------------------------------

    def _serve(self) -> None:
        endpoint = self._endpoint
        assert endpoint is not None
        parser = FrameParser(min_len=MIN_REQUEST_LEN)
        while not self._stop.is_set():
            data = endpoint.read(0.2)  # the timeout only bounds how soon stop() is seen
            if data is None:
                return  # the line is gone (socat stopped): nothing more to serve
            for body in parser.feed(data) if data else []:
                request = Request.from_body(body)
                reply = self._answer(request)
                if reply is not None and not self._send(endpoint, reply, request.cmd):
                    return

    def _answer(self, req: Request) -> bytes | None:
        with self._lock:
            self._requests.append((time.monotonic(), req.cmd, req.para))
            card = self._card
            fault = self._fault
            match (req.cmd, req.para):
                case (0x10, 0xFF):
                    return None  # reset SAM: the spec lists no reply
                case (0x11, 0xFF):
                    return encode_reply(0x90)
                case (0x12, 0xFF):
                    return encode_reply(0x90, self.sam_id)
                case (0x20, 0x01):
                    self._selected = False
                    return encode_reply(0x9F, bytes(4)) if card else encode_reply(0x80)
                case (0x20, 0x02):
                    if card is None:
                        return encode_reply(0x81)
                    self._selected = True
                    return encode_reply(0x90, card.tag)
                case (0x30, 0x01) | (0x30, 0x10):
                    selected, self._selected = self._selected, False
                    if card is None or not selected or fault == "read_fail":
                        return encode_reply(0x41)
                    data = encode_read_data(card.card, with_fingerprint=req.para == 0x10)
                    return encode_reply(0x90, data)
                case (0x30, 0x03):
                    return encode_reply(0x91)  # no appended address on the demo cards
                case _:
                    return encode_reply(0x21)

    def _send(self, endpoint: PtyEndpoint, reply: bytes, cmd: int) -> bool:
        with self._lock:
            fault = self._fault
            if self._fault_cmd is not None and cmd != self._fault_cmd:
                fault = None
            elif fault == "lost_byte":
                self._fault = None  # a one-off glitch
        if fault == "slow":
            self.faults_injected += 1
            if self._stop.wait(self.slow_delay):
                return False
        elif fault == "garbage":
            self.faults_injected += 1
            reply = self._garbage() + reply
        elif fault == "bad_checksum":
            self.faults_injected += 1
            reply = reply[:-1] + bytes([reply[-1] ^ 0x5A])
        elif fault == "lost_byte":
            self.faults_injected += 1
            middle = len(reply) // 2
            reply = reply[:middle] + reply[middle + 1 :]
        return endpoint.write(reply)

    def _garbage(self) -> bytes:
        """Noise with traps: a preamble prefix, an impossible LEN, a bad-checksum frame."""
        noise = bytes(self._rng.randrange(256) for _ in range(self._rng.randrange(1, 24)))
        false_len = b"\xaa\xaa\xaa\x96\x69\xff\xff"
        bad_frame = encode_reply(0x90)[:-1] + b"\x00"
        return noise + b"\xaa\xaa" + false_len + bad_frame + noise[:5]

"""Payment-code scanner: the codes, a serial scanner, and a keyboard-wedge decoder.

A scanner reads the payment code a person shows on the phone (付款码) and
sends it as a line of digits. Two hook-ups exist: a serial (or USB-CDC)
scanner that ends each code with a terminator, and a keyboard-wedge (HID)
scanner whose code arrives as a fast burst of key presses ending in Enter.

Payment codes are bearer credentials: they are never logged or put in
exceptions in full, and :class:`PaymentCode` masks its ``repr``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Literal

from drivers.errors import DeviceError, DeviceOffline, InvalidCode
from drivers.idcard.transport import NODEVICE, SerialLink
from drivers.watching import DeviceWatcher
from protocol.devices import DeviceHealth, DeviceState

log = logging.getLogger(__name__)

DEVICE = "scanner"
PaymentKind = Literal["wechat", "alipay", "unionpay"]


def mask_code(code: str) -> str:
    """First 2 and last 4 characters, the rest ``*``: enough for support, useless to a thief."""
    if len(code) <= 6:
        return "*" * len(code)
    return code[:2] + "*" * (len(code) - 6) + code[-4:]


@dataclass(frozen=True, repr=False)
class PaymentCode:
    """A payment code and the provider it belongs to. ``repr`` masks the code."""

    kind: PaymentKind
    code: str

    @property
    def masked(self) -> str:
        return mask_code(self.code)

    def __repr__(self) -> str:
        return f"PaymentCode(kind={self.kind!r}, code={self.masked!r})"


def parse_payment_code(text: str) -> PaymentCode:
    """Classify a scanned code by the providers' published formats.

    WeChat Pay: 18 digits, prefix 10-15. Alipay: 16-24 digits, prefix 25-30.
    UnionPay (云闪付): 19 digits, prefix 62. Surrounding whitespace and line
    terminators are ignored. Raises :class:`InvalidCode` (with the code
    masked in its detail) for anything else.
    """
    code = text.strip()
    if not code or not code.isascii() or not code.isdigit():
        raise InvalidCode(f"not a digit string ({len(code)} chars)", code="not_digits")
    prefix = int(code[:2]) if len(code) >= 2 else -1
    if len(code) == 19 and code.startswith("62"):
        return PaymentCode("unionpay", code)
    if len(code) == 18 and 10 <= prefix <= 15:
        return PaymentCode("wechat", code)
    if 16 <= len(code) <= 24 and 25 <= prefix <= 30:
        return PaymentCode("alipay", code)
    raise InvalidCode(
        f"unknown payment code format {mask_code(code)} ({len(code)} digits)",
        code="unknown_format",
    )


class SerialScanner:
    """A scanner on a serial port sending one code per line ending in ``terminator``.

    Context manager (or :meth:`open` / :meth:`close`). :meth:`read_code`
    returns the next :class:`PaymentCode`, None when no complete line came
    within ``timeout`` seconds, raises :class:`InvalidCode` for a line that is
    no payment code (noise, a product bar code) and :class:`DeviceOffline`
    when the port is missing or vanished (``code="nodevice"``). A partial
    line older than ``line_gap`` seconds when new bytes arrive is noise and
    is dropped; a line longer than ``max_line`` bytes is rejected.
    """

    def __init__(
        self,
        port: str,
        baudrate: int = 9600,
        terminator: bytes = b"\r",
        *,
        max_line: int = 64,
        line_gap: float = 0.3,
    ) -> None:
        if not terminator:
            raise ValueError("terminator must not be empty")
        self._link = SerialLink(port, baudrate)
        self.terminator = terminator
        self._max_line = max_line
        self._line_gap = line_gap
        self._buf = bytearray()
        self._last_byte_at = 0.0

    def open(self) -> None:
        self._link.open()
        self._buf.clear()

    def close(self) -> None:
        self._link.close()

    def __enter__(self) -> SerialScanner:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def read_code(self, timeout: float) -> PaymentCode | None:
        deadline = time.monotonic() + timeout
        while True:
            line = self._take_line()
            if line is not None:
                # CR LF scanners leave an LF at the start of the next line.
                text = line.strip(b"\r\n \t")
                if text:
                    return parse_payment_code(text.decode("ascii", errors="replace"))
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            data = self._link.read_some(left)
            if not data:
                return None
            now = time.monotonic()
            if self._buf and now - self._last_byte_at > self._line_gap:
                log.info("scanner: dropped %d stale bytes of an unfinished line", len(self._buf))
                self._buf.clear()
            self._last_byte_at = now
            self._buf += data

    def _take_line(self) -> bytes | None:
        end = self._buf.find(self.terminator)
        if end < 0:
            if len(self._buf) > self._max_line:
                size = len(self._buf)
                self._buf.clear()
                raise InvalidCode(f"line of {size} bytes without terminator", code="too_long")
            return None
        line = bytes(self._buf[:end])
        del self._buf[: end + len(self.terminator)]
        if len(line) > self._max_line:
            raise InvalidCode(f"line of {len(line)} bytes", code="too_long")
        return line


class ScannerWatcher(DeviceWatcher):
    """Reads a serial scanner on a daemon thread, reconnecting after unplug.

    ``on_code(code)`` per valid code, ``on_error(exc)`` for an
    :class:`InvalidCode` line, ``on_health(health)`` on every change (ONLINE
    once the port is open, NODEVICE/OFFLINE when it vanished; reopened with
    backoff between ``backoff_min`` and ``backoff_max`` seconds). Callbacks
    run on the watcher thread; an exception in one is logged, not fatal.
    """

    device = DEVICE
    thread_name = "scanner-watcher"

    def __init__(
        self,
        port: str,
        baudrate: int = 9600,
        terminator: bytes = b"\r",
        *,
        on_code: Callable[[PaymentCode], None],
        on_error: Callable[[DeviceError], None],
        on_health: Callable[[DeviceHealth], None],
        backoff_min: float = 0.2,
        backoff_max: float = 2.0,
    ) -> None:
        super().__init__(on_health)
        self.port = port
        self.baudrate = baudrate
        self.terminator = terminator
        self._on_code = on_code
        self._on_error = on_error
        self._backoff_min = backoff_min
        self._backoff_max = backoff_max

    def _run(self) -> None:
        backoff = self._backoff_min
        while not self._stop.is_set():
            scanner = SerialScanner(self.port, self.baudrate, self.terminator)
            try:
                scanner.open()
            except DeviceOffline as exc:
                self._report(exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self._backoff_max)
                continue
            backoff = self._backoff_min
            self._report_state(DeviceState.ONLINE, "port open")
            try:
                self._read_until_stopped(scanner)
            except DeviceOffline as exc:
                log.warning("scanner lost: %s", exc.detail)
                self._report(exc)
            except Exception as exc:  # supervision point: log and reconnect
                log.exception("scanner watcher: unexpected error")
                self._report_state(DeviceState.HWERROR, f"unexpected: {exc!r}")
                self._stop.wait(backoff)
            finally:
                scanner.close()

    def _read_until_stopped(self, scanner: SerialScanner) -> None:
        while not self._stop.is_set():
            try:
                code = scanner.read_code(0.25)  # short: stop() is noticed quickly
            except InvalidCode as exc:
                self._call(self._on_error, exc)
                continue
            if code is not None:
                log.info("scanner: %s code %s", code.kind, code.masked)
                self._call(self._on_code, code)

    def _report(self, exc: DeviceOffline) -> None:
        state = DeviceState.NODEVICE if exc.code == NODEVICE else DeviceState.OFFLINE
        self._report_state(state, exc.detail)


class KeyboardWedgeDecoder:
    """Tells a keyboard-wedge scanner's key burst from a person typing, by timing.

    Feed it every character key with its time ``t`` in seconds (any monotonic
    clock; the app converts pygame's milliseconds) and every Enter. A burst
    is characters no more than ``max_interval_ms`` apart; when Enter follows
    a burst of at least ``min_length`` characters within the same interval,
    the burst was a scan: :meth:`feed_enter` returns the :class:`PaymentCode`,
    or the :class:`InvalidCode` error (returned, not raised) when the burst is
    not a payment code. Otherwise (a person typing) it returns None. A pause
    longer than the interval starts a new burst. Pure logic: no pygame here.
    """

    def __init__(
        self, max_interval_ms: float = 50, min_length: int = 16, max_length: int = 32
    ) -> None:
        self.max_interval = max_interval_ms / 1000
        self.min_length = min_length
        self.max_length = max_length
        self._chars: list[str] = []
        self._last_t: float | None = None

    @property
    def pending(self) -> int:
        """Characters held in the current burst."""
        return len(self._chars)

    def reset(self) -> None:
        self._chars.clear()
        self._last_t = None

    def feed(self, char: str, t: float) -> PaymentCode | InvalidCode | None:
        """One key: a single character, or "\\r"/"\\n" for Enter."""
        if char in ("\r", "\n"):
            return self.feed_enter(t)
        if len(char) != 1:
            self.reset()  # a non-character key breaks any burst
            return None
        if self._last_t is None or t - self._last_t > self.max_interval:
            self._chars.clear()
        self._chars.append(char)
        self._last_t = t
        if len(self._chars) > self.max_length:
            # Far longer than any payment code: someone holding a key down.
            self.reset()
        return None

    def feed_enter(self, t: float) -> PaymentCode | InvalidCode | None:
        """Enter pressed at ``t``: the code if it ended a scanner burst, else None."""
        burst = "".join(self._chars)
        quick = self._last_t is not None and t - self._last_t <= self.max_interval
        self.reset()
        if not quick or len(burst) < self.min_length:
            return None
        try:
            return parse_payment_code(burst)
        except InvalidCode as exc:
            return exc

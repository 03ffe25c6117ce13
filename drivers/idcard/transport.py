"""The tiny serial transport under the SAM protocol: open, write, read what came.

Kept apart so the protocol logic above it works on bytes and the transport is
the only place that knows about pyserial and file descriptors. The scanner
driver uses it too (same job: a serial line on Linux).
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import termios

import serial

from drivers.errors import DeviceOffline

NODEVICE = "nodevice"  # DeviceOffline.code when the port is missing or vanished
OFFLINE = "offline"  # DeviceOffline.code when the port exists but does not work


class SerialLink:
    """One serial port, 8N1, raw. Not thread-safe: one thread owns it.

    ``open`` raises :class:`DeviceOffline` with ``code="nodevice"`` when the
    port does not exist (unplugged USB adapter), ``"offline"`` otherwise.
    ``read_some`` returns what arrived within ``timeout`` seconds (``b""``
    when nothing did) and raises ``DeviceOffline("nodevice")`` when the device
    went away under us (EIO/hang-up on a pulled USB adapter or a closed pty).
    """

    def __init__(self, port: str, baudrate: int) -> None:
        self.port = port
        self.baudrate = baudrate
        self._serial: serial.Serial | None = None

    @property
    def is_open(self) -> bool:
        return self._serial is not None

    def open(self) -> None:
        if self._serial is not None:
            return
        if not os.path.exists(self.port):
            raise DeviceOffline(f"port {self.port} does not exist", code=NODEVICE)
        try:
            # timeout=0: we wait with select() ourselves; exclusive: a second
            # process opening the same reader would interleave frames.
            self._serial = serial.Serial(
                port=self.port,
                baudrate=self.baudrate,
                bytesize=serial.EIGHTBITS,
                parity=serial.PARITY_NONE,
                stopbits=serial.STOPBITS_ONE,
                timeout=0,
                write_timeout=2.0,
                exclusive=True,
            )
        except (serial.SerialException, OSError, ValueError, termios.error) as exc:
            missing = getattr(exc, "errno", None) in (errno.ENOENT, errno.ENODEV, errno.ENXIO)
            raise DeviceOffline(
                f"cannot open {self.port}: {exc}", code=NODEVICE if missing else OFFLINE
            ) from exc

    def close(self) -> None:
        ser, self._serial = self._serial, None
        if ser is not None:
            # Closing a vanished device may fail: nothing is left to release then.
            with contextlib.suppress(serial.SerialException, OSError, termios.error):
                ser.close()

    def _require(self) -> serial.Serial:
        if self._serial is None:
            raise DeviceOffline(f"port {self.port} is not open", code=NODEVICE)
        return self._serial

    def write(self, data: bytes) -> None:
        ser = self._require()
        try:
            ser.write(data)
        except (serial.SerialException, OSError, termios.error) as exc:
            raise DeviceOffline(f"write to {self.port} failed: {exc}", code=NODEVICE) from exc

    def reset_input(self) -> None:
        """Drop bytes already received (a late reply to an earlier command)."""
        ser = self._require()
        try:
            ser.reset_input_buffer()
        except (serial.SerialException, OSError, termios.error) as exc:
            raise DeviceOffline(f"flush of {self.port} failed: {exc}", code=NODEVICE) from exc

    def read_some(self, timeout: float) -> bytes:
        ser = self._require()
        try:
            fd = ser.fileno()
            ready, _, _ = select.select([fd], [], [], max(timeout, 0.0))
            if not ready:
                return b""
            data = os.read(fd, 4096)
        except BlockingIOError:
            return b""  # woken without data (the fd is non-blocking)
        except (serial.SerialException, OSError, ValueError, termios.error) as exc:
            raise DeviceOffline(f"read from {self.port} failed: {exc}", code=NODEVICE) from exc
        if not data:
            # Readable but empty: hang-up, the device is gone.
            raise DeviceOffline(f"{self.port} hung up", code=NODEVICE)
        return data

"""Byte pipes to a printer, built on python-escpos's backends.

A transport does four things: ``open``, ``write(bytes)``,
``read(size, timeout) -> bytes`` (``b""`` when nothing arrives in time) and
``close``. Everything about receipts and status sits above it. Backend
exceptions are translated here: a missing device file or USB device is
:class:`PrinterNotFound` (NODEVICE); a refused/broken connection or I/O
error is :class:`drivers.errors.DeviceOffline`.
"""

from __future__ import annotations

import os
import socket
from typing import Any, Protocol

from drivers.errors import DeviceOffline
from protocol.i18n import N_

from .settings import PrinterSettings


class PrinterNotFound(DeviceOffline):
    """The printer's port or USB device does not exist (unplugged)."""

    default_message = N_("打印机未连接，请联系工作人员")


class PrinterTransport(Protocol):
    description: str

    def open(self) -> None: ...

    def write(self, data: bytes) -> None: ...

    def read(self, size: int, timeout: float) -> bytes: ...

    def close(self) -> None: ...


class NetworkTransport:
    """A raw TCP (JetDirect/9100) printer through ``escpos.printer.Network``."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        from escpos.printer import Network

        self.description = f"tcp://{host}:{port}"
        self._printer: Any = Network(host, port, timeout=timeout)

    def open(self) -> None:
        from escpos.exceptions import DeviceNotFoundError

        try:
            self._printer.open()
        except DeviceNotFoundError as exc:
            reason = " ".join(str(exc).split())  # the library's message spans lines
            raise DeviceOffline(f"cannot connect to {self.description}: {reason}") from exc

    def write(self, data: bytes) -> None:
        try:
            self._printer._raw(data)
        except OSError as exc:
            raise DeviceOffline(
                f"sending to {self.description} failed: {exc}", code=exc.errno
            ) from exc

    def read(self, size: int, timeout: float) -> bytes:
        sock: socket.socket = self._printer.device
        sock.settimeout(timeout)
        try:
            return sock.recv(size)
        except TimeoutError:
            return b""
        except OSError as exc:
            raise DeviceOffline(f"reading from {self.description} failed: {exc}") from exc
        finally:
            sock.settimeout(self._printer.timeout)

    def close(self) -> None:
        self._printer.close()


class SerialTransport:
    """A serial (RS-232 / USB-serial) printer through ``escpos.printer.Serial``."""

    def __init__(self, devfile: str, baudrate: int, timeout: float) -> None:
        from escpos.printer import Serial

        self.description = f"{devfile}@{baudrate}"
        self.devfile = devfile
        self._printer: Any = Serial(devfile, baudrate=baudrate, timeout=timeout, dsrdtr=True)

    def open(self) -> None:
        from escpos.exceptions import DeviceNotFoundError

        if not os.path.exists(self.devfile):
            raise PrinterNotFound(f"{self.devfile} does not exist")
        try:
            self._printer.open()
        except DeviceNotFoundError as exc:
            raise PrinterNotFound(f"cannot open {self.description}: {exc}") from exc

    def write(self, data: bytes) -> None:
        import serial

        try:
            self._printer._raw(data)
        except (OSError, serial.SerialException) as exc:
            raise DeviceOffline(f"writing to {self.description} failed: {exc}") from exc

    def read(self, size: int, timeout: float) -> bytes:
        import serial

        port = self._printer.device
        port.timeout = timeout
        try:
            return bytes(port.read(size))
        except (OSError, serial.SerialException) as exc:
            raise DeviceOffline(f"reading from {self.description} failed: {exc}") from exc

    def close(self) -> None:
        self._printer.close()


class UsbTransport:
    """A USB printer through ``escpos.printer.Usb`` (bulk endpoints)."""

    def __init__(self, id_vendor: int, id_product: int, timeout: float) -> None:
        from escpos.printer import Usb

        self.description = f"usb:{id_vendor:04x}:{id_product:04x}"
        self.timeout = timeout
        self._printer: Any = Usb(id_vendor, id_product, timeout=int(timeout * 1000))

    def open(self) -> None:
        from escpos.exceptions import DeviceNotFoundError, USBNotFoundError

        try:
            self._printer.open()
        # ValueError: pyusb's NoBackendError (no libusb on this machine).
        except (USBNotFoundError, DeviceNotFoundError, ValueError) as exc:
            raise PrinterNotFound(f"{self.description} not found: {exc}") from exc

    def write(self, data: bytes) -> None:
        usb_core = _usb_core()
        try:
            self._printer._raw(data)
        except usb_core.USBError as exc:
            raise DeviceOffline(f"writing to {self.description} failed: {exc}") from exc

    def read(self, size: int, timeout: float) -> bytes:
        usb_core = _usb_core()
        try:
            return bytes(self._printer.device.read(self._printer.in_ep, size, int(timeout * 1000)))
        except usb_core.USBTimeoutError:
            return b""
        except usb_core.USBError as exc:
            raise DeviceOffline(f"reading from {self.description} failed: {exc}") from exc

    def close(self) -> None:
        self._printer.close()


def _usb_core() -> Any:
    import usb.core  # pyusb ships no type stubs: see the mypy override in pyproject.toml

    return usb.core


def make_transport(settings: PrinterSettings) -> PrinterTransport:
    """The transport ``settings.type`` asks for ("sim" is the VirtualPrinter over TCP)."""
    if settings.type in ("network", "sim"):
        return NetworkTransport(settings.host, settings.port, settings.timeout)
    if settings.type == "serial":
        return SerialTransport(settings.devfile, settings.baudrate, settings.timeout)
    return UsbTransport(settings.id_vendor, settings.id_product, settings.timeout)

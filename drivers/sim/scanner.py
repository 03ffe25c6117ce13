"""A simulated serial payment-code scanner on a pseudo-terminal.

The real :class:`drivers.scanner.SerialScanner` reads from the path
:meth:`ScannerSimulator.start` returns, exactly as from a USB-CDC scanner.
"""

from __future__ import annotations

from drivers.sim.idcard_reader import PtyEndpoint


class ScannerSimulator:
    """Sends scanned codes as lines ending in ``terminator`` (CR by default).

    ``link`` gives the driver end a stable symlink path (unplug/replug keeps
    it); ``attach`` serves on an existing tty such as a socat end instead.
    ``stop`` is unplugging: the driver's port hangs up.
    """

    def __init__(
        self, attach: str | None = None, link: str | None = None, terminator: bytes = b"\r"
    ) -> None:
        self._attach = attach
        self._link = link
        self.terminator = terminator
        self._endpoint: PtyEndpoint | None = None
        self.path: str | None = None

    def start(self) -> str:
        """Open the line; returns the path the driver opens."""
        if self._endpoint is not None:
            raise RuntimeError("simulator already started")
        endpoint = PtyEndpoint()
        if self._attach is not None:
            endpoint.attach(self._attach)
            self.path = self._link or self._attach
        else:
            self.path = endpoint.open_pair(self._link)
        self._endpoint = endpoint
        return self.path

    def stop(self) -> None:
        if self._endpoint is not None:
            self._endpoint.close()
            self._endpoint = None

    def scan(self, text: str) -> None:
        """The scanner read ``text``: send it with the terminator."""
        self._write(text.encode("ascii", errors="replace") + self.terminator)

    def send_garbage(self, data: bytes) -> None:
        """Send raw bytes as they are (line noise, a half-read code)."""
        self._write(data)

    def _write(self, data: bytes) -> None:
        if self._endpoint is None or not self._endpoint.write(data):
            raise OSError("scanner simulator is not connected")

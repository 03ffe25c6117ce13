"""A virtual ESC/POS printer on a raw TCP port (like JetDirect 9100).

It serves one connection at a time, as such printers do, and splits the
stream at command boundaries (:func:`drivers.sim.escpos_decode.command_length`):
real-time status queries ``DLE EOT n`` are answered at once and kept out of
the print data, as a printer's receive buffer handles them; everything else
is the job. ``jobs`` holds the print data of each connection that sent any.

Status replies follow the printer's real bits (see drivers.printer.status):
out of paper or cover open sets the offline bit. ``set_offline(True)``
makes it stop answering entirely — the case python-escpos mistakes for
"paper OK".
"""

from __future__ import annotations

import logging
import socket
import threading
import time

from drivers.sim.escpos_decode import DLE, command_length
from protocol.devices import PaperState

log = logging.getLogger(__name__)

ACCEPT_POLL_S = 0.1  # how often the server thread checks for stop()
IDLE_TIMEOUT_S = 30.0  # drop a client that sends nothing for this long
BASE = 0x12  # fixed bits 1 and 4 of every status byte


class VirtualPrinter:
    """``start()`` → port; ``stop()``; ``jobs``, ``raw`` (bytes per connection),
    ``status_queries`` for tests; ``set_paper``/``set_offline``/``set_cover_open``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.jobs: list[bytes] = []
        self.raw: list[bytes] = []
        self.status_queries: list[int] = []
        self.paper = PaperState.FULL
        self.offline = False
        self.cover_open = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._job_event = threading.Condition(self._lock)

    # -- control -------------------------------------------------------------------

    def start(self) -> int:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((self.host, self.port))
        server.listen(4)
        server.settimeout(ACCEPT_POLL_S)
        self._server = server
        self.port = server.getsockname()[1]
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="virtual-printer", daemon=True)
        self._thread.start()
        return self.port

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._server is not None:
            self._server.close()
            self._server = None

    def set_paper(self, paper: PaperState) -> None:
        self.paper = paper

    def set_offline(self, offline: bool) -> None:
        self.offline = offline

    def set_cover_open(self, cover_open: bool) -> None:
        self.cover_open = cover_open

    def wait_for_jobs(self, count: int, timeout: float = 5.0) -> list[bytes]:
        """Block until ``count`` jobs are recorded (or timeout); returns ``jobs``."""
        deadline = time.monotonic() + timeout
        with self._job_event:
            while len(self.jobs) < count and time.monotonic() < deadline:
                self._job_event.wait(timeout=max(0.0, deadline - time.monotonic()))
            return list(self.jobs)

    # -- status bytes --------------------------------------------------------------

    def status_byte(self, n: int) -> int:
        paper_out = self.paper is PaperState.OUT
        jammed = self.paper is PaperState.JAMMED
        if n == 1:  # printer status: bit 3 offline
            return BASE | (0x08 if paper_out or self.cover_open or jammed else 0)
        if n == 2:  # offline cause: bit 2 cover, bit 5 paper end, bit 6 error
            return (
                BASE
                | (0x04 if self.cover_open else 0)
                | (0x20 if paper_out else 0)
                | (0x40 if jammed else 0)
            )
        if n == 4:  # roll paper: bits 2-3 near end, bits 5-6 end
            low = self.paper in (PaperState.LOW, PaperState.OUT)
            return BASE | (0x0C if low else 0) | (0x60 if paper_out else 0)
        return BASE  # n = 3 error status: no errors

    # -- server ----------------------------------------------------------------------

    def _serve(self) -> None:
        assert self._server is not None
        while not self._stop.is_set():
            try:
                conn, _addr = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                self._handle(conn)

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(ACCEPT_POLL_S)
        raw = bytearray()
        job = bytearray()
        pending = bytearray()
        idle_since = time.monotonic()
        while not self._stop.is_set():
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                if time.monotonic() - idle_since > IDLE_TIMEOUT_S:
                    break
                continue
            except OSError:
                break
            if not chunk:
                break
            idle_since = time.monotonic()
            raw += chunk
            pending += chunk
            i = 0
            while i < len(pending):
                length = command_length(pending, i)
                if length is None:
                    break  # command continues in the next chunk
                if pending[i] == DLE and length == 3 and pending[i + 1] == 0x04:
                    n = pending[i + 2]
                    with self._lock:
                        self.status_queries.append(n)
                    if not self.offline:
                        try:
                            conn.sendall(bytes((self.status_byte(n),)))
                        except OSError:
                            break
                else:
                    job += pending[i : i + length]
                i += length
            del pending[:i]
        job += pending
        with self._job_event:
            self.raw.append(bytes(raw))
            if job:
                self.jobs.append(bytes(job))
            self._job_event.notify_all()

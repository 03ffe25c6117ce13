"""A loopback TCP proxy that partitions the network between terminal and hub.

Modes (switch any time with :attr:`PartitionProxy.mode`):

- ``pass``: bytes flow both ways;
- ``delay``: bytes flow, each chunk held back ``delay_s`` seconds;
- ``drop``: a black hole — connections are accepted and kept open, but
  nothing is forwarded either way (the peer sees timeouts, as behind a
  router that lost its uplink); connections open when the drop starts go
  silent too;
- ``refuse``: new connections are reset at once and open ones are cut
  (the peer sees "connection refused/reset", as when the hub's host is up
  but its service is not).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from typing import Literal

Mode = Literal["pass", "delay", "drop", "refuse"]
_CHUNK = 65536
_POLL_S = 0.1


def _reset(sock: socket.socket) -> None:
    """Close with an RST (SO_LINGER 0), like a host whose port is closed."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


class PartitionProxy:
    """Listens on a free loopback port (:attr:`url`) and forwards to ``target_port``."""

    def __init__(self, target_port: int, delay_s: float = 0.5, max_connections: int = 64) -> None:
        self.target_port = target_port
        self.delay_s = delay_s
        self.mode: Mode = "pass"
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(_POLL_S)
        self.port = int(self._listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._slots = threading.BoundedSemaphore(max_connections)
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.accepted = 0
        self._thread = threading.Thread(target=self._accept, name="proxy", daemon=True)

    def start(self) -> PartitionProxy:
        self._thread.start()
        return self

    def set_mode(self, mode: Mode) -> None:
        self.mode = mode
        if mode == "refuse":
            with self._lock:
                cut, self._open = self._open, set()
            for sock in cut:
                _reset(sock)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()
        self.set_mode("refuse")

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            if self.mode == "refuse" or not self._slots.acquire(blocking=False):
                _reset(client)
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                _reset(client)
                return
            with self._lock:
                self._open.update((client, upstream))
            back = threading.Thread(target=self._pipe, args=(upstream, client), daemon=True)
            back.start()
            self._pipe(client, upstream)
            back.join(30)
        finally:
            self._slots.release()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        src.settimeout(_POLL_S)
        try:
            while not self._stop.is_set():
                try:
                    data = src.recv(_CHUNK)
                except TimeoutError:
                    continue
                if not data:
                    break
                if self.mode == "drop":
                    continue  # swallowed: the black hole
                if self.mode == "delay":
                    time.sleep(self.delay_s)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            with self._lock:
                self._open.discard(src)
                self._open.discard(dst)

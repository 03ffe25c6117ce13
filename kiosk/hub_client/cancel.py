"""Interrupting hub calls from another thread.

urllib3 has no way to abort a blocking read from another thread; shutting
the socket down does, and the reader sees a connection error at once. The
adapter below registers every socket it opens so :meth:`SocketRegistry.shutdown_all`
can do that (the fleet agent stops within a second, mid long-poll).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import weakref
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class SocketRegistry:
    """Weakly remembers every socket opened, so :meth:`shutdown_all` can interrupt reads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()

    def add(self, sock: socket.socket | None) -> None:
        if sock is not None:
            with self._lock:
                self._sockets.add(sock)

    def shutdown_all(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)


class CancellableAdapter(HTTPAdapter):
    """An adapter whose connections register their sockets with a registry.

    No retries: a call that failed is reported, and the caller decides (a
    person is told, a background loop backs off).
    """

    def __init__(self, registry: SocketRegistry) -> None:
        self._registry = registry
        super().__init__(pool_connections=2, pool_maxsize=2, max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        registry = self._registry

        class _Conn(HTTPConnection):
            def connect(self) -> None:
                super().connect()
                registry.add(self.sock)

        class _TlsConn(HTTPSConnection):
            def connect(self) -> None:
                super().connect()
                registry.add(self.sock)

        class _Pool(HTTPConnectionPool):
            ConnectionCls = _Conn

        class _TlsPool(HTTPSConnectionPool):
            ConnectionCls = _TlsConn

        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TlsPool}

"""How the hub's HTTP server treats slow and idle connections.

uvicorn closes an idle keep-alive connection after ``timeout_keep_alive``, but
it has no limit on how long a client may take to send a request's head or its
body: a tester held 350 half-open connections for 70 s (and the file
descriptors with them). :class:`GuardedHttpToolsProtocol` is uvicorn's own
httptools protocol (uvicorn's documented ``http=`` extension point, a protocol
class) with three limits added:

- the request head (request line and headers) must arrive within
  ``header_timeout_s`` of the connection opening or of the request's first
  byte (on a kept-alive connection), else the connection is closed;
- while a body is being sent, ``body_timeout_s`` may pass at most between two
  chunks (time during which the hub itself paused reading does not count);
- a request head is at most :data:`MAX_HEAD_BYTES` (httptools sets no limit).

Closing the connection under a request whose body was cut off hands the
application ``http.disconnect``; :mod:`hub.limits` logs that in one line.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)

MAX_HEAD_BYTES = 64 * 1024  # request line and headers together; browsers send ~2 KiB


class HeadTooLarge(Exception):
    """Raised from a parser callback: httptools reports it as a parser error, and
    uvicorn answers 400 and closes the connection."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with head and body read timeouts (see the module)."""

    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._read_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        super().connection_made(transport)
        self._arm(self.header_timeout_s, "request head")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    # -- parser callbacks -------------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        if self._read_timer is None:  # a kept-alive connection's next request
            self._arm(self.header_timeout_s, "request head")

    def on_url(self, url: bytes) -> None:
        self._count_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()
        self._arm(self.body_timeout_s, "request body")

    def on_body(self, body: bytes) -> None:
        self._arm(self.body_timeout_s, "request body")
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    # -- timers -----------------------------------------------------------------------------

    def _count_head(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES:
            raise HeadTooLarge(f"request head over {MAX_HEAD_BYTES} bytes")

    def _arm(self, seconds: float, what: str) -> None:
        self._disarm()
        self._read_timer = self.loop.call_later(seconds, self._timed_out, what)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _timed_out(self, what: str) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        if self.flow is not None and self.flow.read_paused:
            # The hub stopped reading (the application is behind): not the client's delay.
            self._arm(self.body_timeout_s, what)
            return
        log.debug("closing %s: %s not received in time", self.client, what)
        self.transport.close()


def server_options(
    *, header_timeout_s: float, body_timeout_s: float, keep_alive_timeout_s: int
) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.Config`` that apply these limits."""
    protocol = type(
        "HubHttpProtocol",
        (GuardedHttpToolsProtocol,),
        {"header_timeout_s": header_timeout_s, "body_timeout_s": body_timeout_s},
    )
    return {"http": protocol, "timeout_keep_alive": keep_alive_timeout_s}

"""What every request must respect before any route sees it: one ASGI wrapper
around the whole hub application.

- **Body caps per path prefix** (the longest matching prefix wins). A declared
  ``Content-Length`` over the cap is refused with 413 before a byte of the body
  is read; a chunked or lying body is counted as it streams and refused the
  moment it passes the cap, so nothing larger than the cap is ever buffered.
- **No NUL characters** in any text the hub accepts (PostgreSQL cannot store
  them and answered 500): a NUL in the path or the query string, an escaped
  ``\\u0000`` in a JSON body, ``%00`` or a raw NUL in a form body are refused
  with 422. Done once here, so no route, model or form field can forget it;
  binary bodies (the terminal's PNG screenshots) are not text and not scanned.
- **A client that goes away mid-upload** is logged at INFO in one line; the
  route's ``ClientDisconnect`` (a 64-line traceback each time, a cheap way to
  flood the log) is swallowed here, where it is known to be the client's doing.

Refusals carry ``Connection: close``: the server then drops the rest of an
unread body instead of parsing it as the next request.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

KIB = 1024
MIB = 1024 * KIB

# (path prefix, largest body accepted in bytes). The terminal API's caps are the
# ones its routes enforce themselves too (hub/fleet/terminal_api.py); service
# bodies are forms of a few hundred bytes; console forms are short texts.
DEFAULT_BODY_LIMITS: tuple[tuple[str, int], ...] = (
    ("/api/v1/terminal/screenshot", 5 * MIB),
    ("/api/v1/terminal/", 1 * MIB),
    ("/api/v1/services/", 64 * KIB),
    ("/console/", 256 * KIB),
)
DEFAULT_BODY_LIMIT = 64 * KIB  # anything else (there is little else that takes a body)

# An escaped NUL in JSON text: ``\u0000`` preceded by an odd number of
# backslashes (an even number is an escaped backslash followed by "u0000").
_JSON_NUL = re.compile(rb"(\\+)u0000")
_FORM_NUL = re.compile(rb"%00|\x00")


class _Refused(Exception):
    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(status)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class BodyLimits:
    """Per-prefix body caps; :meth:`for_path` is the cap of one request path."""

    prefixes: Sequence[tuple[str, int]] = DEFAULT_BODY_LIMITS
    default: int = DEFAULT_BODY_LIMIT

    def for_path(self, path: str) -> int:
        best = ("", self.default)
        for prefix, limit in self.prefixes:
            if path.startswith(prefix) and len(prefix) > len(best[0]):
                best = (prefix, limit)
        return best[1]


def _nul_problem(where: str = "body") -> list[dict[str, Any]]:
    return [{"loc": [where], "msg": "NUL characters are not accepted", "type": "nul_character"}]


def json_has_nul(body: bytes) -> bool:
    """Whether JSON text ``body`` carries an escaped NUL (``\\u0000``) in a string."""
    return any(len(m.group(1)) % 2 == 1 for m in _JSON_NUL.finditer(body))


def _text_kind(scope: Scope) -> str | None:
    """How to look for NUL in this body: "json", "form", or None (binary, not scanned)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            kind = value.split(b";", 1)[0].strip().lower()
            if kind == b"application/json" or kind.endswith(b"+json"):
                return "json"
            if kind in (b"application/x-www-form-urlencoded", b"multipart/form-data"):
                return "form"
            if kind.startswith(b"text/"):
                return "form"  # no escapes to decode: any raw NUL is refused
            return None
    return "json"  # no declared type: FastAPI parses such a body as JSON


class RequestGuard:
    """ASGI wrapper enforcing the body caps, the NUL rule and quiet disconnects."""

    def __init__(self, app: ASGIApp, limits: BodyLimits | None = None) -> None:
        self.app = app
        self.limits = limits or BodyLimits()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_path(scope["path"])
        try:
            _check_head(scope, limit)
        except _Refused as refused:
            await _refuse(send, refused)
            return
        stream = _GuardedBody(scope, receive, limit)
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if stream.refused is not None or stream.client_gone:
                return  # the route's own reply to a body we cut off is not sent
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, stream.receive, guarded_send)
        except Exception:
            if stream.refused is None and not stream.client_gone:
                raise
        if stream.client_gone:
            log.info(
                "client %s went away mid-upload: %s %s (%d bytes received)",
                _client(scope),
                scope["method"],
                scope["path"],
                stream.received,
            )
        elif stream.refused is not None and not started:
            await _refuse(send, stream.refused)


def _check_head(scope: Scope, limit: int) -> None:
    """Refuse on the request line and headers alone: NUL in the path or query, or a
    declared body over the cap (nothing of it is read)."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8", "replace")
    query: bytes = scope.get("query_string", b"")
    if _FORM_NUL.search(raw_path) or "\x00" in scope["path"] or _FORM_NUL.search(query):
        raise _Refused(422, _nul_problem("query"))
    declared = _header(scope, b"content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise _Refused(400, "bad Content-Length") from None
        if size > limit:
            raise _too_large(limit)


class _GuardedBody:
    """The ``receive`` the application sees: counts, caps and scans the body."""

    def __init__(self, scope: Scope, receive: Receive, limit: int) -> None:
        self._receive = receive
        self.limit = limit
        self.kind = _text_kind(scope)
        self.received = 0
        self.refused: _Refused | None = None
        self.client_gone = False
        self._done = False
        self._text = bytearray()  # the text body so far (capped), scanned when complete

    async def receive(self) -> Message:
        if self.refused is not None:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.disconnect":
            if not self._done:
                self.client_gone = True
            return message
        if message["type"] != "http.request":
            return message
        chunk: bytes = message.get("body", b"")
        self.received += len(chunk)
        if self.received > self.limit:
            self.refused = _too_large(self.limit)
            return {"type": "http.disconnect"}
        more = bool(message.get("more_body", False))
        if self.kind is not None:
            self._text += chunk
            if not more and self._has_nul():
                self.refused = _Refused(422, _nul_problem())
                return {"type": "http.disconnect"}
        if not more:
            self._done = True
        return message

    def _has_nul(self) -> bool:
        body = bytes(self._text)
        if self.kind == "json":
            return json_has_nul(body)
        return _FORM_NUL.search(body) is not None


def _too_large(limit: int) -> _Refused:
    return _Refused(413, f"body larger than {limit} bytes")


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "?"


async def _refuse(send: Send, refused: _Refused) -> None:
    body = json.dumps({"detail": refused.detail}, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": refused.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

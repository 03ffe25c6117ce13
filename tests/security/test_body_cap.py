"""Attack 8: the service API and the console had no body cap (30 MB of JSON
were buffered before the 422). Every prefix now has one, refused with 413
before the body is buffered: on the declared length alone, or as a body
without a declared length streams past the cap."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.security.attacked_hub import attacked_hub
from tests.security.raw_http import connect, read_reply, status_of

THIRTY_MB = 30 * 1024 * 1024


def test_declared_oversize_is_refused_before_the_body_is_sent(tmp_path: Path) -> None:
    with attacked_hub(tmp_path) as hub, hub.client() as c:
        auth = hub.terminal(c)
        for path, headers in (
            ("/api/v1/services/applications", auth),
            ("/console/login", {}),
            ("/api/v1/terminal/events", auth),
        ):
            sock = connect(hub.url)
            head = (
                f"POST {path} HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
                f"Content-Length: {THIRTY_MB}\r\n"
                + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                + "\r\n"
            )
            sock.sendall(head.encode() + b'{"pad": "')  # and nothing more: no 30 MB follow
            started = time.monotonic()
            reply = read_reply(sock, limit_s=10)
            sock.close()
            assert status_of(reply) == 413, (path, reply[:200])
            # Answered on the head alone, not after a body read timed out.
            assert time.monotonic() - started < 5, path


class _Upload:
    """A chunked JSON body of ``total`` bytes that counts what was taken from it."""

    def __init__(self, total: int, chunk: int = 64 * 1024) -> None:
        self.total, self.chunk, self.sent = total, chunk, 0

    def __iter__(self) -> Iterator[bytes]:
        yield b'{"pad": "'
        while self.sent < self.total:
            self.sent += self.chunk
            yield b"x" * self.chunk
        yield b'"}'


def test_streamed_oversize_is_cut_off_at_the_cap(tmp_path: Path) -> None:
    with attacked_hub(tmp_path) as hub, hub.client() as c:
        auth = {**hub.terminal(c), "X-CSRF-Token": hub.operator(c)}
        for path in ("/api/v1/services/applications", "/console/content/announcements"):
            upload = _Upload(THIRTY_MB)
            try:
                reply = c.post(
                    path,
                    content=upload,  # chunked: no Content-Length to refuse on
                    headers={**auth, "Content-Type": "application/x-www-form-urlencoded"},
                )
            except httpx.TransportError:
                # The hub answered 413 and closed while the client was still sending.
                assert upload.sent < THIRTY_MB, path
                continue
            assert reply.status_code == 413, (path, reply.status_code, reply.text[:200])
        # Within the caps, the same routes still answer (a normal 4xx for a bad body).
        small = c.post("/api/v1/services/applications", json={"pad": "x"}, headers=auth)
        assert small.status_code in (400, 422), small.text

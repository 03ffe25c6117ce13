"""What the payment emulators share: the customer's behaviour, faults on demand,
notifications as sent, PEM helpers, and the loopback HTTP server they run on."""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def pem_private(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def pem_public(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def sign_sha256_rsa(key: rsa.RSAPrivateKey, message: str) -> str:
    return base64.b64encode(
        key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    ).decode()


@dataclass(frozen=True)
class Customer:
    """How the customer behind one order behaves."""

    pay_after_s: float | None = 4.0  # None: never (native: until :meth:`pay`)
    decline: str | None = None  # an error code, e.g. NOT_ENOUGH: nothing charged
    pay_on_cancel: bool = False  # pays in the instant before the reverse/close lands


@dataclass
class Faults:
    """Misbehaviour on demand; rates are per call (or per notification)."""

    error_rate: float = 0.0  # 500 SYSTEM_ERROR before acting
    drop_rate: float = 0.0  # acted, then the connection is closed without an answer
    forge_rate: float = 0.0  # the answer is signed with a key that is not the platform's
    stall_s: float = 0.0  # every answer waits this long first (client timeouts)
    notify_duplicate_rate: float = 0.0
    notify_shuffle: bool = False  # deliver pending notifications out of order
    notify_forge_rate: float = 0.0


@dataclass(frozen=True)
class Notification:
    url: str
    headers: dict[str, str]
    body: bytes
    event_type: str
    forged: bool = False  # an attacker's: not retried when refused


def post_notification(note: Notification) -> int:
    return requests.post(note.url, data=note.body, headers=note.headers, timeout=10).status_code


class LoopbackServer:
    """An emulator's HTTP server on 127.0.0.1 (a free port), served on a thread.
    A subclass names its request handler (which finds the emulator as
    ``self.emulator``) and its thread; usable as a context manager."""

    thread_name = "emulator"

    def __init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def request_handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError  # each emulator answers its own API

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        handler = type("_Handler", (self.request_handler(),), {"emulator": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

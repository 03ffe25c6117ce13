"""A tiny real hub for the terminal's fleet tests: http.server on loopback.

It implements the terminal side of the hub contract (enrol, heartbeat,
commands with long-poll, acks, screenshot, journal, events) and has switches
to go down (listener closed: connection refused), answer 500, or delay. It
counts every upload by key: ``received`` counts each time a key arrived,
``stored`` keeps each key once in arrival order — what a real hub keeps.

Also: :func:`make_ca` / :func:`make_server_cert` build a throw-away PKI with
``cryptography`` so the tests can serve this hub over TLS.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import secrets
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LONG_POLL_CAP_S = 25.0


@dataclass
class Upload:
    received: Counter[str] = field(default_factory=Counter)
    stored: list[dict[str, Any]] = field(default_factory=list)

    @property
    def stored_keys(self) -> list[str]:
        return [item["key"] for item in self.stored]

    @property
    def resent(self) -> int:
        """How many uploads repeated a key already stored (harmless by design)."""
        return sum(n - 1 for n in self.received.values())


class FakeHub:
    """Serve with ``with FakeHub() as hub:``; ``hub.url`` is the base URL."""

    def __init__(
        self,
        *,
        tls: ssl.SSLContext | None = None,
        enrolment_codes: tuple[str, ...] = ("CODE-1",),
        next_interval_s: float | None = None,
    ) -> None:
        self.tls = tls
        self.enrolment_codes = set(enrolment_codes)
        self.next_interval_s = next_interval_s
        self.lock = threading.Condition()
        self.tokens: dict[str, int] = {}
        self.revoked: set[int] = set()
        self.enrolments: list[dict[str, Any]] = []
        self.signing_keys: list[tuple[int, str]] = []  # (terminal, public key) re-keyed
        self.heartbeats: list[dict[str, Any]] = []
        self.command_queue: list[dict[str, Any]] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.screenshots: list[tuple[str, bytes]] = []
        self.journal = Upload()
        self.events = Upload()
        self.requests: Counter[str] = Counter()
        self.fail_status: int | None = None
        self.delay_s = 0.0
        self.long_poll_broken = False  # answer 504 to ?wait>0, like a proxy that cuts idle calls
        self.journal_hook: Callable[[list[str]], None] | None = None
        self._next_terminal = 1
        self._next_command = 1
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> FakeHub:
        hub = self

        class Handler(_Handler):
            pass

        Handler.hub = hub
        server = _Server(("127.0.0.1", self.port), Handler)
        if self.tls is not None:
            server.socket = self.tls.wrap_socket(server.socket, server_side=True)
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def go_down(self) -> None:
        """Close the listener: new connections are refused, long-polls are dropped."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        with self.lock:
            self.lock.notify_all()  # waiting long-polls see the hub is down and drop

    def come_up(self) -> None:
        """Listen again on the same port."""
        deadline = time.monotonic() + 5
        while True:
            try:
                self.start()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @property
    def up(self) -> bool:
        return self._server is not None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.go_down()

    # -- operator side ---------------------------------------------------------------------

    def queue_command(self, kind: str, args: dict[str, Any] | None = None) -> str:
        with self.lock:
            command_id = str(self._next_command)
            self._next_command += 1
            self.command_queue.append({"id": command_id, "kind": kind, "args": args or {}})
            self.lock.notify_all()
        return command_id

    def revoke(self, terminal_id: int) -> None:
        with self.lock:
            self.revoked.add(terminal_id)

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Poll ``predicate`` every 10 ms for at most ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if predicate():
                    return True
            time.sleep(0.01)
        with self.lock:
            return predicate()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # HTTP/1.0: a connection per call, several agent threads

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients killed mid-request (the crash tests) are expected


class _Handler(BaseHTTPRequestHandler):
    hub: FakeHub
    # HTTP/1.0: one request per connection, so going down closes everything.
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: Any = None) -> None:
        payload = b"" if body is None or status == 204 else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _terminal(self) -> int | None:
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ")
        hub = self.hub
        with hub.lock:
            terminal = hub.tokens.get(token)
            if terminal is None or terminal in hub.revoked:
                return None
        return terminal

    def _switches(self) -> bool:
        hub = self.hub
        if hub.delay_s:
            time.sleep(hub.delay_s)
        if hub.fail_status is not None:
            self._reply(hub.fail_status, {"detail": "switched to fail"})
            return False
        return True

    def do_GET(self) -> None:
        hub = self.hub
        parts = urlsplit(self.path)
        hub.requests[f"GET {parts.path}"] += 1
        if not self._switches():
            return
        if parts.path != "/api/v1/terminal/commands":
            self._reply(404, {"detail": "not found"})
            return
        if self._terminal() is None:
            self._reply(401, {"detail": "unknown or revoked terminal"})
            return
        wait = min(float(parse_qs(parts.query).get("wait", ["0"])[0]), LONG_POLL_CAP_S)
        hub.requests["long-poll" if wait > 0 else "poll"] += 1
        if wait > 0 and hub.long_poll_broken:
            self._reply(504, {"detail": "gateway timeout"})
            return
        deadline = time.monotonic() + wait
        with hub.lock:
            while not hub.command_queue and hub.up and time.monotonic() < deadline:
                hub.lock.wait(min(0.2, max(0.0, deadline - time.monotonic())))
            if not hub.up:
                self.close_connection = True
                return  # the client sees the connection drop, as with a crashed hub
            commands, hub.command_queue = hub.command_queue, []
        self._reply(200, commands)

    def do_POST(self) -> None:
        hub = self.hub
        path = urlsplit(self.path).path
        hub.requests[f"POST {path}"] += 1
        body = self._body()
        if not self._switches():
            return
        if path == "/api/v1/terminal/enrol":
            self._enrol(json.loads(body))
            return
        terminal = self._terminal()
        if terminal is None:
            self._reply(401, {"detail": "unknown or revoked terminal"})
            return
        if path == "/api/v1/terminal/heartbeat":
            with hub.lock:
                hub.heartbeats.append(json.loads(body))
                pending = bool(hub.command_queue)
            self._reply(
                200,
                {"ok": True, "next_interval_s": hub.next_interval_s, "commands_pending": pending},
            )
        elif path == "/api/v1/terminal/screenshot":
            with hub.lock:
                hub.screenshots.append((self.headers.get("Content-Type", ""), body))
            self._reply(204)  # as the real hub (hub/fleet/terminal_api.py)
        elif path.startswith("/api/v1/terminal/commands/") and path.endswith("/ack"):
            command_id = path.split("/")[-2]
            with hub.lock:
                known = command_id.isdigit() and int(command_id) < hub._next_command
                if known:
                    hub.acks[command_id] = json.loads(body)
            if known:
                self._reply(204)  # as the real hub
            else:
                self._reply(404, {"detail": "no such command for this terminal"})
        else:
            self._post_records(path, terminal, body)

    def _post_records(self, path: str, terminal: int, body: bytes) -> None:
        """Journal records, events and a new signing key."""
        hub = self.hub
        if path == "/api/v1/terminal/key":
            with hub.lock:
                hub.signing_keys.append((terminal, json.loads(body)["public_key"]))
            self._reply(204)  # as the real hub
        elif path == "/api/v1/terminal/journal":
            self._upload(hub.journal, json.loads(body)["records"], hub.journal_hook)
        elif path == "/api/v1/terminal/events":
            self._upload(hub.events, json.loads(body)["events"], None)
        else:
            self._reply(404, {"detail": "not found"})

    def _enrol(self, body: dict[str, Any]) -> None:
        hub = self.hub
        with hub.lock:
            if body.get("code") not in hub.enrolment_codes:
                self._reply(403, {"detail": "unknown or used enrolment code"})
                return
            hub.enrolment_codes.discard(body["code"])  # one-time
            terminal_id = hub._next_terminal
            hub._next_terminal += 1
            token = secrets.token_urlsafe(24)
            hub.tokens[token] = terminal_id
            hub.enrolments.append(body)
        self._reply(200, {"terminal_id": terminal_id, "token": token})

    def _upload(
        self,
        upload: Upload,
        items: list[dict[str, Any]],
        hook: Callable[[list[str]], None] | None,
    ) -> None:
        with self.hub.lock:
            for item in items:
                upload.received[item["key"]] += 1
                if upload.received[item["key"]] == 1:
                    upload.stored.append(item)
        keys = [item["key"] for item in items]
        self.hub.requests["upload bytes max"] = max(
            self.hub.requests["upload bytes max"], int(self.headers.get("Content-Length") or 0)
        )
        if hook is not None:
            hook(keys)  # e.g. kill the uploader after the hub stored, before it answers
        self._reply(200, {"accepted": keys})


# --- a throw-away PKI -----------------------------------------------------------------------


@dataclass
class Issuer:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    cert_path: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(directory: Path, common_name: str) -> Issuer:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    path = directory / f"{common_name}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Issuer(cert, key, path)


def make_server_cert(directory: Path, issuer: Issuer, name: str = "hub") -> ssl.SSLContext:
    """A server certificate for 127.0.0.1/localhost signed by ``issuer``, as a
    ready server-side SSL context."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
        .sign(issuer.key, hashes.SHA256())
    )
    cert_path = directory / f"{name}.crt"
    key_path = directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context


def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

"""HTTPS to the one hub this terminal belongs to (DESIGN §1, §5).

- The hub's CA is pinned: requests verifies against ``ca_file`` only (never the
  system store, never ``REQUESTS_CA_BUNDLE``: ``trust_env`` is off).
- Plain ``http://`` is accepted only for a loopback hub (the embedded demo hub
  and tests); anything else is refused when the transport is built.
- Every call has a timeout. Failures are translated at this boundary into
  :class:`~kiosk.outbox.HubUnavailable` (retry later) and
  :class:`~kiosk.outbox.HubRefused` (HTTP 401: credential revoked).
- :meth:`HubTransport.cancel` interrupts calls in flight (the 25 s long-poll)
  by shutting their sockets down, so the agent stops within a second.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import weakref
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from kiosk.outbox import HubRefused, HubUnavailable

AUTH_SCHEME = "Bearer"
CONNECT_TIMEOUT_S = 5.0


class AgentConfigError(ValueError):
    """The hub address or CA file cannot be used; raised at construction."""


class NotEnrolled(HubUnavailable):
    """No credential yet: the terminal has not enrolled with the hub."""


class HubCertificateError(HubUnavailable):
    """The hub's certificate is not signed by the pinned CA (or TLS failed)."""


class HubStatusError(HubUnavailable):
    """The hub answered with a non-2xx status other than 401 (kept in ``status``)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class EnrolmentRefused(HubUnavailable):
    """The hub refused the enrolment code (used, expired or wrong)."""


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_hub(hub_url: str, ca_file: str | Path | None) -> tuple[str, Path | None]:
    """Check the hub address and CA file; returns ``(base_url, ca_path)``.

    Raises :class:`AgentConfigError` for a scheme other than http(s), plain http
    to a host that is not loopback, or https without a readable ``ca_file``.
    """
    parts = urlsplit(hub_url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise AgentConfigError(f"hub.url {hub_url!r} must be https://host[:port]")
    if parts.scheme == "http":
        if not _is_loopback(host):
            raise AgentConfigError(
                f"hub.url {hub_url!r}: plain http is allowed only for a loopback hub"
                " (127.0.0.0/8, ::1, localhost); use https with hub.ca_file"
            )
        return hub_url.rstrip("/"), None
    if ca_file is None:
        raise AgentConfigError(
            f"hub.url {hub_url!r} is https: hub.ca_file (the hub's CA) is required"
        )
    ca_path = Path(ca_file)
    if not ca_path.is_file():
        raise AgentConfigError(f"hub.ca_file {ca_path} does not exist or is not a file")
    return hub_url.rstrip("/"), ca_path


def hub_detail(response: requests.Response) -> str:
    """The hub's short error detail (FastAPI ``{"detail": ...}``), for logs."""
    try:
        detail = response.json().get("detail", "")
    except (ValueError, AttributeError):
        detail = response.text
    return str(detail)[:200]


class _SocketRegistry:
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


class _CancellableAdapter(HTTPAdapter):
    """An adapter whose connections register their sockets with a registry.

    urllib3 has no way to abort a blocking read from another thread; shutting
    the socket down does, and the reader sees a connection error at once.
    """

    def __init__(self, registry: _SocketRegistry) -> None:
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


class HubTransport:
    """JSON over HTTP(S) to the hub, authenticated with the terminal's token.

    Thread-safe: each thread gets its own ``requests.Session``. ``timeout_s``
    is the read timeout of ordinary calls; connecting is bounded by 5 s.
    """

    def __init__(self, hub_url: str, ca_file: str | Path | None, timeout_s: float = 8.0) -> None:
        self.base_url, self.ca_file = validate_hub(hub_url, ca_file)
        self.hub_url = hub_url
        self.timeout_s = timeout_s
        self._token: str | None = None
        self._registry = _SocketRegistry()
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def set_token(self, token: str | None) -> None:
        """Use ``token`` from now on (None: not enrolled)."""
        self._token = token

    @property
    def enrolled(self) -> bool:
        return self._token is not None

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # no proxy or CA bundle from the environment
            session.verify = str(self.ca_file) if self.ca_file else True
            adapter = _CancellableAdapter(self._registry)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        timeout_s: float | None = None,
        authenticate: bool = True,
    ) -> requests.Response:
        """One call; returns the 2xx response.

        Raises :class:`NotEnrolled` without a token, :class:`HubRefused` on 401,
        :class:`HubCertificateError` when TLS verification fails and
        :class:`HubUnavailable` for every other failure (no answer, timeout,
        non-2xx status).
        """
        all_headers = dict(headers or {})
        if authenticate:
            token = self._token
            if token is None:
                raise NotEnrolled(f"{method} {path}: terminal not enrolled yet")
            all_headers["Authorization"] = f"{AUTH_SCHEME} {token}"
        try:
            response = self._session().request(
                method,
                self.base_url + path,
                json=json_body,
                data=data,
                headers=all_headers,
                params=params,
                timeout=(CONNECT_TIMEOUT_S, timeout_s if timeout_s is not None else self.timeout_s),
            )
        except requests.exceptions.SSLError as exc:
            raise HubCertificateError(
                f"{method} {path}: TLS to {self.base_url} failed (certificate not signed by"
                f" the pinned CA {self.ca_file}?): {exc}"
            ) from exc
        except requests.RequestException as exc:
            raise HubUnavailable(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 401 and authenticate:
            raise HubRefused(f"{method} {path}: hub refused the terminal credential (401)")
        if not 200 <= response.status_code < 300:
            raise HubStatusError(
                f"{method} {path}: hub answered {response.status_code} {response.reason}"
                f" {hub_detail(response)}",
                response.status_code,
            )
        return response

    @staticmethod
    def _decode(response: requests.Response) -> Any:
        if response.status_code == 204 or not response.content:
            return None  # e.g. the hub's ack endpoint answers 204 No Content
        try:
            return response.json()
        except ValueError as exc:
            raise HubUnavailable(f"{response.url}: reply is not JSON") from exc

    def post_json(self, path: str, body: dict[str, Any]) -> Any:
        """POST JSON with the terminal's token; returns the decoded reply."""
        return self._decode(self.request("POST", path, json_body=body))

    def get_json(
        self, path: str, params: dict[str, Any] | None = None, timeout_s: float | None = None
    ) -> Any:
        return self._decode(self.request("GET", path, params=params, timeout_s=timeout_s))

    def post_unauthenticated(self, path: str, body: dict[str, Any]) -> requests.Response:
        """POST without a token (enrolment); 4xx come back as the response."""
        try:
            return self._session().post(
                self.base_url + path, json=body, timeout=(CONNECT_TIMEOUT_S, self.timeout_s)
            )
        except requests.exceptions.SSLError as exc:
            raise HubCertificateError(
                f"POST {path}: TLS to {self.base_url} failed (certificate not signed by"
                f" the pinned CA {self.ca_file}?): {exc}"
            ) from exc
        except requests.RequestException as exc:
            raise HubUnavailable(f"POST {path}: {type(exc).__name__}: {exc}") from exc

    def cancel(self) -> None:
        """Interrupt every call in flight (they raise :class:`HubUnavailable`)."""
        self._registry.shutdown_all()

    def close(self) -> None:
        self.cancel()
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

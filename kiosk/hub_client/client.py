"""HTTPS to the one hub this terminal belongs to (DESIGN §1, §5): one client for
the service flows and the fleet agent, with one TLS policy.

- The hub's CA is pinned: requests verifies against ``ca_file`` only, never
  the system store, ``REQUESTS_CA_BUNDLE`` or a proxy from the environment
  (``trust_env`` is off).
- Plain ``http://`` only to a loopback hub (:mod:`kiosk.hub_client.policy`),
  refused at construction for a fixed address, at first use for an address
  known only later (the embedded demo hub's port).
- Redirects are never followed: a 3xx is an error, so a body that carries ID
  numbers is never sent on to another address.
- Every call has a timeout: connecting at most 5 s, reading ``timeout_s``.
- :meth:`HubClient.cancel` interrupts calls in flight (the agent's 25 s
  long-poll) by shutting their sockets down.
- Thread-safe: one ``requests.Session`` per thread.

Two kinds of callers, two refusal policies, one error tree
(:mod:`kiosk.hub_client.errors`):

- a person waiting (:meth:`~HubClient.call`, :meth:`~HubClient.request`): a
  4xx is a :class:`HubError` carrying the hub's words for that person;
- background loops (:meth:`~HubClient.post_json`, :meth:`~HubClient.get_json`,
  :meth:`~HubClient.upload`: the outbox and the agent): any refusal but 401 is
  a :class:`HubStatusError`, a :class:`HubUnavailable`, because they keep their
  records and try again later.
"""

from __future__ import annotations

import json
import logging
import threading
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import requests

from kiosk.hub_client.cancel import CancellableAdapter, SocketRegistry
from kiosk.hub_client.errors import (
    HubBadReply,
    HubCertificateError,
    HubError,
    HubRefused,
    HubStatusError,
    HubUnavailable,
    NotEnrolled,
)
from kiosk.hub_client.policy import validate_hub

if TYPE_CHECKING:
    # Imported when a reply is read: the agent and the outbox never need pydantic,
    # and their processes start faster without it.
    from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)

AUTH_SCHEME = "Bearer"
Signer = Callable[[str, str, bytes], Mapping[str, str]]
"""(method, path, body bytes) → the signature headers (kiosk.signing.TerminalKey.headers)."""
CONNECT_TIMEOUT_S = 5.0
Reply = TypeVar("Reply", bound="BaseModel")


def hub_detail(response: requests.Response) -> str:
    """The hub's short error detail (FastAPI ``{"detail": ...}``), for logs."""
    try:
        detail = response.json().get("detail", "")
    except (ValueError, AttributeError):
        detail = response.text
    return str(detail)[:200]


def _person_detail(response: requests.Response) -> str:
    """The hub's sentence for the person; pydantic's 422 list joined (the hub
    strips the submitted values from it, hub/services/errors.py)."""
    try:
        detail = response.json().get("detail", "")
    except (ValueError, AttributeError):
        return ""
    if isinstance(detail, list):
        return "；".join(str(d.get("msg", "")) for d in detail if isinstance(d, dict))
    return str(detail)


def _decode(response: requests.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None  # e.g. the hub's ack endpoint answers 204 No Content
    try:
        return response.json()
    except ValueError:
        raise HubBadReply(f"{response.request.method} {response.url}: reply is not JSON") from None


def _problems(exc: ValidationError) -> str:
    # Where and what kind, never the values: a reply may carry a full name.
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in exc.errors()[:5])


class HubClient:
    """JSON over HTTP(S) to one hub, authenticated with the terminal's token.

    ``hub_url`` is the address, or a function returning it (called on the
    calling thread, so it may wait for an embedded hub to listen; a
    ``TimeoutError`` from it is a :class:`HubUnavailable`). The token is set
    with :meth:`set_token` (the agent, after enrolment) or read from
    ``token`` on each call (the service side reads the agent's credential).

    Raises :class:`~kiosk.hub_client.errors.HubConfigError` at construction for
    a fixed address the policy refuses.
    """

    def __init__(
        self,
        hub_url: str | Callable[[], str],
        ca_file: str | Path | None = None,
        *,
        token: Callable[[], str | None] | None = None,
        timeout_s: float = 8.0,
    ) -> None:
        self._ca_setting = ca_file
        self._checked: tuple[str, str, Path | None] | None = None
        if callable(hub_url):
            self._resolve = hub_url
        else:
            fixed = hub_url
            self._resolve = lambda: fixed
            self._address()  # refuse a bad fixed address now, not on the first call
        self._token_source = token
        self._token: str | None = None
        self.timeout_s = timeout_s
        self._registry = SocketRegistry()
        self._local = threading.local()
        self._sessions: weakref.WeakSet[requests.Session] = weakref.WeakSet()
        self._lock = threading.Lock()

    # -- address and credential --------------------------------------------------------------

    def _address(self) -> tuple[str, str, Path | None]:
        """``(hub_url, base_url, ca_path)``, checked against the policy once per address."""
        try:
            url = self._resolve()
        except TimeoutError as exc:
            raise HubUnavailable(f"hub not started: {exc}") from exc
        checked = self._checked
        if checked is None or checked[0] != url:
            base, ca_path = validate_hub(url, self._ca_setting)
            checked = self._checked = (url, base, ca_path)
        return checked

    @property
    def hub_url(self) -> str:
        """The address as configured (kept in the credential)."""
        return self._address()[0]

    @property
    def base_url(self) -> str:
        """The address calls go to (no trailing slash)."""
        return self._address()[1]

    @property
    def ca_file(self) -> Path | None:
        """The pinned CA (None for a loopback http hub)."""
        return self._address()[2]

    def set_token(self, token: str | None) -> None:
        """Use ``token`` from now on (None: not enrolled)."""
        self._token = token

    @property
    def enrolled(self) -> bool:
        """True once :meth:`set_token` gave a token."""
        return self._token is not None

    def _current_token(self) -> str | None:
        if self._token is not None:
            return self._token
        return self._token_source() if self._token_source is not None else None

    # -- one exchange --------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # no proxy or CA bundle from the environment
            adapter = CancellableAdapter(self._registry)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._local.session = session
            with self._lock:
                self._sessions.add(session)
        return session

    def _exchange(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        timeout_s: float | None = None,
        authenticate: bool = True,
        stream: bool = False,
    ) -> requests.Response:
        """Send one request; returns the response whatever its status, except a 3xx.

        Raises :class:`NotEnrolled` without a token, :class:`HubCertificateError`
        when TLS fails, :class:`HubStatusError` for a redirect and
        :class:`HubUnavailable` when no answer came.
        """
        _, base_url, ca_path = self._address()
        all_headers = {"Accept": "application/json", **(headers or {})}
        if authenticate:
            token = self._current_token()
            if token is None:
                raise NotEnrolled(f"{method} {path}: terminal not enrolled yet")
            all_headers["Authorization"] = f"{AUTH_SCHEME} {token}"
        read_s = self.timeout_s if timeout_s is None else timeout_s
        try:
            response = self._session().request(
                method,
                base_url + path,
                json=json_body,
                data=data,
                headers=all_headers,
                params=params,
                timeout=(min(CONNECT_TIMEOUT_S, read_s), read_s),
                # Only the pinned CA; a loopback http hub has no TLS to verify.
                verify=str(ca_path) if ca_path is not None else True,
                allow_redirects=False,
                stream=stream,
            )
        except requests.exceptions.SSLError as exc:
            raise HubCertificateError(
                f"{method} {path}: TLS to {base_url} failed (certificate not signed by"
                f" the pinned CA {ca_path}?): {exc}"
            ) from exc
        except requests.RequestException as exc:
            raise HubUnavailable(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        if response.is_redirect or 300 <= response.status_code < 400:
            raise HubStatusError(
                f"{method} {path}: hub answered {response.status_code} towards"
                f" {response.headers.get('Location', '?')!r}; redirects are never followed",
                response.status_code,
            )
        return response

    def _send(self, method: str, path: str, **options: Any) -> requests.Response:
        """:meth:`_exchange`, then the status: returns a 2xx response.

        Raises :class:`HubRefused` on 401, :class:`HubStatusError` on 5xx,
        :class:`HubError` on any other 4xx.
        """
        response = self._exchange(method, path, **options)
        status = response.status_code
        if 200 <= status < 300:
            return response
        summary = f"{method} {path}: hub answered {status} {response.reason} {hub_detail(response)}"
        if status == 401 and options.get("authenticate", True):
            raise HubRefused(f"{method} {path}: hub refused the terminal credential (401)")
        if 400 <= status < 500:
            raise HubError(status, _person_detail(response), message=summary)
        raise HubStatusError(summary, status)

    # -- for a person waiting ------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        sign: Signer | None = None,
    ) -> Any:
        """The JSON boundary: one call, the decoded reply (None for no content).

        With ``sign`` (the terminal key's :meth:`~kiosk.signing.TerminalKey.headers`)
        the body is serialised here and signed over the exact bytes sent.

        Raises :class:`HubUnavailable` (no usable answer) or :class:`HubError`
        (a refusal with the hub's words).
        """
        options: dict[str, Any] = {"json_body": body}
        if sign is not None:
            raw = json.dumps(body or {}, ensure_ascii=False, separators=(",", ":")).encode()
            signed_path = urlsplit(self.base_url).path.rstrip("/") + path
            headers = {"Content-Type": "application/json", **sign(method, signed_path, raw)}
            options = {"data": raw, "headers": headers}
        try:
            return _decode(self._send(method, path, **options))
        except HubUnavailable as exc:
            # The path carries nothing personal (bodies carry ID numbers), so it is logged.
            log.warning("hub %s %s failed: %s", method, path, type(exc).__name__)
            raise

    def fetch_bytes(self, path: str) -> bytes:
        """GET a binary reply (a signed PDF) for a person waiting; raises like :meth:`request`."""
        try:
            return self._send("GET", path, headers={"Accept": "application/pdf"}).content
        except HubUnavailable as exc:
            log.warning("hub GET %s failed: %s", path, type(exc).__name__)
            raise

    def call(
        self,
        reply: type[Reply],
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        sign: Signer | None = None,
    ) -> Reply:
        """:meth:`request`, read as ``reply``; :class:`HubBadReply` if it does not fit."""
        from pydantic import ValidationError

        body_dict = dict(body) if body is not None else None
        if sign is None:  # the plain boundary, as test doubles of request() implement it
            data = self.request(method, path, body_dict)
        else:
            data = self.request(method, path, body_dict, sign=sign)
        try:
            return reply.model_validate(data)
        except ValidationError as exc:
            # from None: the validation error quotes the reply, which may hold a name.
            raise HubBadReply(
                f"{method} {path}: reply is not a {reply.__name__} ({_problems(exc)})"
            ) from None

    # -- for background loops ------------------------------------------------------------------

    def _background(self, method: str, path: str, **options: Any) -> requests.Response:
        try:
            return self._send(method, path, **options)
        except HubRefused:
            raise
        except HubError as exc:
            raise HubStatusError(str(exc), exc.status) from exc

    def post_json(self, path: str, body: Mapping[str, Any]) -> Any:
        """POST JSON with the terminal's token; returns the decoded reply.

        Raises :class:`HubUnavailable` (network, timeout, refusal, not enrolled
        yet) or :class:`HubRefused` (credential revoked).
        """
        return _decode(self._background("POST", path, json_body=body))

    def get_json(
        self, path: str, params: Mapping[str, Any] | None = None, timeout_s: float | None = None
    ) -> Any:
        """GET with the terminal's token; errors as :meth:`post_json`."""
        return _decode(self._background("GET", path, params=params, timeout_s=timeout_s))

    def open_stream(
        self, path: str, headers: Mapping[str, str] | None = None, timeout_s: float | None = None
    ) -> requests.Response:
        """GET with the terminal's token, the body left unread (``iter_content``);
        any status but a redirect comes back, the caller closes the response.
        For downloads that resume (``Range``); errors as :meth:`_exchange`."""
        return self._exchange("GET", path, headers=headers, timeout_s=timeout_s, stream=True)

    def upload(self, path: str, data: bytes, content_type: str) -> None:
        """POST raw bytes (a screenshot); errors as :meth:`post_json`."""
        self._background("POST", path, data=data, headers={"Content-Type": content_type})

    def post_unauthenticated(self, path: str, body: Mapping[str, Any]) -> requests.Response:
        """POST without a token (enrolment); any status but a redirect comes back."""
        return self._exchange("POST", path, json_body=body, authenticate=False)

    # -- shutdown ------------------------------------------------------------------------------

    def cancel(self) -> None:
        """Interrupt every call in flight (they raise :class:`HubUnavailable`)."""
        self._registry.shutdown_all()

    def close(self) -> None:
        self.cancel()
        with self._lock:
            sessions = list(self._sessions)
            self._sessions = weakref.WeakSet()
        for session in sessions:
            session.close()

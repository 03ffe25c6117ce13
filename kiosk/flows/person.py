"""The person session with the hub (DESIGN §7): the hub serves a person's data
only inside one, opened with the evidence of the card on the reader in a
request signed with the terminal's key.

:class:`PersonSession` opens it on the first person-scoped call after a card
read (the card's :class:`~kiosk.session.Identity`), keeps the handle for that
identity and gives it to every flow that asks about the person; a new card
opens a new one. :meth:`PersonSession.close` ends it with the kiosk session.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk.flows.api import CLOSE_PERSON_SESSION_ROUTE, PERSON_SESSIONS_ROUTE, service_path
from kiosk.hub_client import HubClient, HubError, HubUnavailable
from kiosk.hub_client.models import OpenedSession
from protocol.i18n import N_

if TYPE_CHECKING:
    from kiosk.session import Identity
    from kiosk.signing import TerminalKey

log = logging.getLogger(__name__)

NO_EVIDENCE = N_("请使用身份证读卡后再办理")
"""Said when the card gave no evidence (a social-security card without 发卡日期)."""
NO_KEY = N_("终端签名核验未通过，请联系工作人员")
"""Said when this terminal has no usable signing key (the hub's words for a bad signature)."""


class SessionRefused(HubError):
    """The hub would not open the person session (403: the card was not confirmed,
    or this terminal cannot sign; 429: over its hourly quota). Unlike other 403s,
    its words are meant for the person: read the card again, or ask staff."""

    def __init__(self, status: int, detail: str, *, message: str | None = None) -> None:
        super().__init__(status, detail, message=message)
        if detail:
            self.user_message = detail


class PersonSession:
    """The handle of the current person's session; thread-safe (flows run on tasks).

    ``key`` returns the terminal's signing key (None when it has none yet).
    """

    def __init__(self, client: HubClient, key: Callable[[], TerminalKey | None]) -> None:
        self.client = client
        self._key = key
        self._lock = threading.Lock()
        self._identity: Identity | None = None
        self._handle: str | None = None
        self._opened: OpenedSession | None = None

    def open(self, identity: Identity) -> OpenedSession:
        """The session of ``identity`` (opened now unless it already is) and who the
        hub says the person is. Raises :class:`SessionRefused` (403: the hub could
        not confirm the card; 429: this terminal is over its hourly quota),
        another :class:`HubError` (422: malformed evidence) or :class:`HubUnavailable`."""
        with self._lock:
            if self._identity is identity and self._opened is not None:
                return self._opened
            previous = self._forget()
            if identity.evidence is None:
                raise SessionRefused(403, NO_EVIDENCE, message="card gave no evidence")
            key = self._key()
            if key is None:
                raise SessionRefused(403, NO_KEY, message="terminal has no signing key")
            try:
                opened = self.client.call(
                    OpenedSession,
                    "POST",
                    service_path(PERSON_SESSIONS_ROUTE),
                    {"evidence": identity.evidence},
                    sign=key.headers,
                )
            except HubError as exc:
                if exc.status in (403, 429):
                    raise SessionRefused(exc.status, exc.detail, message=str(exc)) from None
                raise
            self._identity, self._handle, self._opened = identity, opened.person_session, opened
        if previous is not None:
            self._send_close(previous)
        return opened

    def handle(self, identity: Identity) -> str:
        """The handle to send with a request about ``identity``; opens the session first
        when needed (errors as :meth:`open`)."""
        return self.open(identity).person_session

    def close(self) -> None:
        """The kiosk session ended: forget the handle now, then tell the hub (blocks;
        run it on a task). A hub that does not answer lets it expire on its own."""
        with self._lock:
            handle = self._forget()
        if handle is not None:
            self._send_close(handle)

    def _forget(self) -> str | None:
        handle = self._handle
        self._identity = self._handle = self._opened = None
        return handle

    def _send_close(self, handle: str) -> None:
        try:
            self.client.request(
                "POST", service_path(CLOSE_PERSON_SESSION_ROUTE), {"person_session": handle}
            )
        except (HubUnavailable, HubError) as exc:
            log.info("person session not closed at the hub (it expires): %s", type(exc).__name__)

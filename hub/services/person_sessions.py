"""Person sessions: a person's data only where that person's card is on the reader
(DESIGN §7, issue 13).

A terminal opens a session by presenting evidence only the card holds (the ID
card's photo digest, validity and issuer; the social-security card's number
and 发卡日期) in a request signed with its own Ed25519 key. The provider
confirms the evidence (:meth:`~hub.services.provider.CitizenProvider.verify_card`);
the terminal gets an opaque handle, of which the hub keeps only the SHA-256.
Every person-scoped route takes the handle; a handle works only for the
terminal it was opened on, until the kiosk session closes it or the short
limit passes.

Refusals are deliberately alike: an unknown number, a known number with
wrong or missing evidence and a card the platform does not know all get
:data:`EVIDENCE_REFUSED`; a missing, foreign, closed or expired handle gets
:data:`SESSION_NEEDED`. The hub is no oracle of who exists.

A terminal opens at most ``person_sessions_per_hour`` sessions an hour
(attempts count, refused ones too): above it the hub refuses and raises the
console alert ``person_session_quota``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import Field
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hub.fleet import alerts, audit
from hub.fleet.auth import public_key_bytes
from hub.fleet.models import Terminal
from hub.services.clock import Clock, db_time
from hub.services.errors import ServiceError
from hub.services.models import PersonSessionRow, SignatureNonceRow
from hub.services.provider import CardEvidence, CitizenProvider, IdCardEvidence, Person
from protocol.i18n import N_
from protocol.person_session import (
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    NONCE_PATTERN,
    signed_message,
)

log = logging.getLogger(__name__)

EVIDENCE_REFUSED = N_("未能核验您的证件，请到窗口咨询")
SESSION_NEEDED = N_("请重新刷身份证或社保卡后再办理")
QUOTA_REFUSED = N_("本终端读卡次数过多，暂停办理，请联系工作人员")
SIGNATURE_REFUSED = N_("终端签名核验未通过，请联系工作人员")
QUOTA_ALERT = "person_session_quota"
_NONCE = re.compile(NONCE_PATTERN)
_HOUR = timedelta(hours=1)

Handle = Annotated[
    str,
    Field(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$", description="会话句柄"),
]


class Forbidden(ServiceError):
    """The terminal may not do this for this person (no session, no proof)."""

    status = 403
    default_detail = SESSION_NEEDED


class TooManyRequests(ServiceError):
    """The terminal is over its quota."""

    status = 429
    default_detail = QUOTA_REFUSED


@dataclass(frozen=True)
class SessionPerson:
    """The person of a live session, and the session's row id (orders keep it)."""

    person: Person
    session_id: int


@dataclass(frozen=True)
class Opened:
    handle: str
    person: Person
    expires_in_s: int


def hash_handle(handle: str) -> str:
    return hashlib.sha256(handle.encode("ascii")).hexdigest()


class PersonSessions:
    """Opens, finds and closes person sessions; checks terminals' signatures."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        provider: CitizenProvider,
        clock: Clock,
        *,
        minutes: int,
        per_hour: int,
        signature_window_s: int,
        send_webhooks: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> None:
        self._factory = factory
        self._provider = provider
        self._clock = clock
        self.minutes = minutes
        self.per_hour = per_hour
        self.signature_window_s = signature_window_s
        self._send_webhooks = send_webhooks  # the fleet's alert webhook, when there is a fleet

    # --- the signature -----------------------------------------------------------------------

    def check_signature(
        self, terminal_id: int, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> None:
        """Raise :class:`Forbidden` unless the request is signed by the terminal's key,
        its timestamp is within the window and its nonce was never seen from it."""
        timestamp = headers.get(HEADER_TIMESTAMP, "")
        nonce = headers.get(HEADER_NONCE, "")
        signature = headers.get(HEADER_SIGNATURE, "")
        now = self._clock.now()
        if not (timestamp.isdigit() and len(timestamp) <= 12 and _NONCE.match(nonce)):
            raise Forbidden(SIGNATURE_REFUSED)
        if abs(now.timestamp() - int(timestamp)) > self.signature_window_s:
            raise Forbidden(SIGNATURE_REFUSED)
        with self._factory() as s, s.begin():
            key = s.scalar(select(Terminal.signing_key).where(Terminal.id == terminal_id))
            if not key:
                raise Forbidden(SIGNATURE_REFUSED)
            try:
                sig = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
                Ed25519PublicKey.from_public_bytes(public_key_bytes(key)).verify(
                    sig, signed_message(method, path, timestamp, nonce, body)
                )
            except (binascii.Error, ValueError, InvalidSignature):
                raise Forbidden(SIGNATURE_REFUSED) from None
            # Nonces older than the window can no longer pass the timestamp test.
            s.execute(
                delete(SignatureNonceRow).where(
                    SignatureNonceRow.seen_at
                    < db_time(now - timedelta(seconds=2 * self.signature_window_s))
                )
            )
            try:
                with s.begin_nested():
                    s.execute(
                        insert(SignatureNonceRow).values(
                            terminal_id=terminal_id, nonce=nonce, seen_at=db_time(now)
                        )
                    )
            except IntegrityError:
                raise Forbidden(SIGNATURE_REFUSED) from None  # a replay

    # --- sessions ------------------------------------------------------------------------------

    def open(self, terminal_id: int, evidence: CardEvidence) -> Opened:
        """A new session for the card's holder. Raises :class:`TooManyRequests` over
        the quota (and raises the console alert), :class:`Forbidden` with
        :data:`EVIDENCE_REFUSED` when the provider does not confirm the evidence."""
        now = self._clock.now()
        with self._factory() as s, s.begin():
            attempts = s.scalar(
                select(func.count())
                .select_from(PersonSessionRow)
                .where(
                    PersonSessionRow.terminal_id == terminal_id,
                    PersonSessionRow.opened_at > db_time(now - _HOUR),
                )
            )
            over = (attempts or 0) >= self.per_hour
            payload = self._over_quota(s, terminal_id, now) if over else None
        if payload is not None and self._send_webhooks is not None:
            self._send_webhooks([payload])
        if over:
            raise TooManyRequests()
        person = self._provider.verify_card(evidence)
        handle = secrets.token_urlsafe(32)
        expires = now + timedelta(minutes=self.minutes)
        with self._factory() as s, s.begin():
            row = PersonSessionRow(
                terminal_id=terminal_id,
                handle_hash=hash_handle(handle) if person else None,
                person_ref=person.person_ref if person else None,
                card="idcard" if isinstance(evidence, IdCardEvidence) else "sscard",
                outcome="opened" if person else "refused",
                opened_at=db_time(now),
                expires_at=db_time(expires),
            )
            s.add(row)
        if person is None:
            log.info("person session refused for terminal %s: evidence not confirmed", terminal_id)
            raise Forbidden(EVIDENCE_REFUSED)
        return Opened(handle, person, self.minutes * 60)

    def _over_quota(self, s: Session, terminal_id: int, now: datetime) -> dict[str, Any] | None:
        """Raise the console alert (once while it is open); its webhook payload if new."""
        detail = f"本小时读卡核验已达上限 {self.per_hour} 次，已暂停该终端开启新的办理会话"
        conn = s.connection()
        payload = alerts.raise_alert(conn, terminal_id, QUOTA_ALERT, "", detail, db_time(now))
        if payload is not None:
            # Once per alert, not once per refused request: the log stays readable.
            audit.record(
                conn, "终端", "person_session_quota", f"terminal:{terminal_id}", detail, "refused"
            )
            log.warning("terminal %s over its person-session quota", terminal_id)
        return payload

    def person(self, terminal_id: int, handle: str) -> SessionPerson:
        """The person of a live session this terminal opened; :class:`Forbidden` otherwise."""
        now = db_time(self._clock.now())
        with self._factory() as s:
            row = s.scalars(
                select(PersonSessionRow).where(PersonSessionRow.handle_hash == hash_handle(handle))
            ).first()
        if (
            row is None
            or row.terminal_id != terminal_id
            or row.closed_at is not None
            or row.expires_at <= now
            or row.person_ref is None
        ):
            raise Forbidden(SESSION_NEEDED)
        person = self._provider.find_by_ref(row.person_ref)
        if person is None:
            raise Forbidden(SESSION_NEEDED)
        return SessionPerson(person, row.id)

    def close(self, terminal_id: int, handle: str) -> None:
        """End the session (the kiosk session ended). Closing a handle that is not
        this terminal's, or is already closed, changes nothing and says nothing."""
        with self._factory() as s, s.begin():
            s.execute(
                update(PersonSessionRow)
                .where(
                    PersonSessionRow.handle_hash == hash_handle(handle),
                    PersonSessionRow.terminal_id == terminal_id,
                    PersonSessionRow.closed_at.is_(None),
                )
                .values(closed_at=db_time(self._clock.now()))
            )

"""Everything the service routes share, built once at start (see :mod:`hub.services.api`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from hub.deps import DbSession
from hub.fleet.auth import TerminalIdentity, current_terminal
from hub.services.catalogue import Catalogue
from hub.services.clock import Clock
from hub.services.identity import person_ref
from hub.services.notifier import Notifier
from hub.services.person_sessions import PersonSessions, SessionPerson
from hub.services.provider import CitizenProvider

if TYPE_CHECKING:
    from hub.documents.archive import DocumentIssuer
    from hub.services.payments.service import PaymentService


@dataclass
class ServiceContext:
    catalogue: Catalogue
    clock: Clock
    secret: str
    factory: sessionmaker[Session]
    provider: CitizenProvider
    notifier: Notifier
    payments: PaymentService
    sessions: PersonSessions
    # HubSettings.public_url: where phones reach the hub (certificate QR codes).
    public_url: str | None = None
    # Signed A4 certificates (hub/documents); None in apps built without them.
    documents: DocumentIssuer | None = None

    def ref(self, id_number: str) -> str:
        """The opaque person reference of an ID number (see identity.person_ref)."""
        return person_ref(id_number, self.secret)

    def person(self, terminal: TerminalIdentity, handle: str) -> SessionPerson:
        """The person of the live session ``handle`` that ``terminal`` opened; raises
        :class:`~hub.services.person_sessions.Forbidden` (one reply for every
        missing, foreign, closed or expired handle). Never by a raw ID number."""
        return self.sessions.person(terminal.id, handle)


def get_ctx(request: Request) -> ServiceContext:
    """FastAPI dependency: the service context stored on the app at start."""
    ctx: ServiceContext = request.app.state.services
    return ctx


Ctx = Annotated[ServiceContext, Depends(get_ctx)]
CallingTerminal = Annotated[TerminalIdentity, Depends(current_terminal)]
"""The terminal making the request (the same check that guards every service route)."""
Db = DbSession  # committed before the answer is sent (hub/deps.py)

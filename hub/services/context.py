"""Everything the service routes share, built once at start (see :mod:`hub.services.api`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from hub.deps import DbSession
from hub.services.catalogue import Catalogue
from hub.services.clock import Clock
from hub.services.errors import NotFound
from hub.services.identity import person_ref
from hub.services.notifier import Notifier
from hub.services.provider import CitizenProvider, Person
from protocol.i18n import N_

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
    # HubSettings.public_url: where phones reach the hub (certificate QR codes).
    public_url: str | None = None
    # Signed A4 certificates (hub/documents); None in apps built without them.
    documents: DocumentIssuer | None = None

    def ref(self, id_number: str) -> str:
        """The opaque person reference of an ID number (see identity.person_ref)."""
        return person_ref(id_number, self.secret)

    def person(self, id_number: str) -> Person:
        """The person with this ID number, or :class:`NotFound` in plain Chinese."""
        found = self.provider.find_person(id_number=id_number)
        if found is None:
            raise NotFound(N_("未查询到该身份证号码的参保或登记信息，请核对后重试"))
        return found


def get_ctx(request: Request) -> ServiceContext:
    """FastAPI dependency: the service context stored on the app at start."""
    ctx: ServiceContext = request.app.state.services
    return ctx


Ctx = Annotated[ServiceContext, Depends(get_ctx)]
Db = DbSession  # committed before the answer is sent (hub/deps.py)

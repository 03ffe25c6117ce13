"""What the terminal does with the hub, one flow per purpose.

Screens ask flows; flows ask the hub client (:mod:`kiosk.hub_client`) and
return its typed replies (:mod:`kiosk.hub_client.models`). Every flow method
blocks, so the app runs it on its task runner, never on the UI thread, and
raises :class:`~kiosk.hub_client.HubUnavailable` (no usable answer) or
:class:`~kiosk.hub_client.HubError` (the hub said no, in words for the
person). The REST paths live here and nowhere above.

:class:`Flows` builds them all over one client for one service point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk.flows.api import API
from kiosk.flows.applications import Applications
from kiosk.flows.catalogue import Catalogue
from kiosk.flows.certificates import Certificates
from kiosk.flows.documents import Documents
from kiosk.flows.offline_cache import OfflineCache
from kiosk.flows.payments import Payments
from kiosk.flows.person import PersonSession
from kiosk.flows.progress import Progress
from kiosk.flows.queries import Queries
from kiosk.flows.ratings import Ratings
from kiosk.flows.signed_documents import SignedDocuments
from kiosk.flows.terminal_settings import HubOffer
from kiosk.flows.tickets import Tickets
from kiosk.hub_client import HubClient

if TYPE_CHECKING:
    from kiosk.signing import TerminalKey


@dataclass(frozen=True)
class Flows:
    """Every flow, over one client; ``person`` is the person session they share."""

    person: PersonSession
    queries: Queries
    catalogue: Catalogue
    applications: Applications
    progress: Progress
    certificates: Certificates
    documents: Documents
    tickets: Tickets
    ratings: Ratings
    payments: Payments
    hub_offer: HubOffer
    signed_documents: SignedDocuments

    @classmethod
    def over(
        cls,
        client: HubClient,
        *,
        service_point: str,
        offline: OfflineCache | None = None,
        signing_key: Callable[[], TerminalKey | None] = lambda: None,
    ) -> Flows:
        """The flows of a terminal at ``service_point``; ``offline`` keeps the
        catalogue and guides for reading while the hub is unreachable;
        ``signing_key`` gives the terminal's key (kiosk.signing), which signs
        the card evidence that opens a person session."""
        person = PersonSession(client, signing_key)
        return cls(
            person=person,
            queries=Queries(client, person),
            catalogue=Catalogue(client, service_point=service_point, offline=offline),
            applications=Applications(client, person),
            progress=Progress(client, person),
            certificates=Certificates(client, person),
            documents=Documents(client, person),
            tickets=Tickets(client, service_point=service_point),
            ratings=Ratings(client),
            hub_offer=HubOffer(client, offline=offline),
            signed_documents=SignedDocuments(client),
            payments=Payments(client, person),
        )


__all__ = [
    "API",
    "Applications",
    "Catalogue",
    "Certificates",
    "Documents",
    "Flows",
    "HubOffer",
    "OfflineCache",
    "Payments",
    "PersonSession",
    "Progress",
    "Queries",
    "Ratings",
    "SignedDocuments",
    "Tickets",
]

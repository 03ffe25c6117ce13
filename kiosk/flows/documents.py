"""补打: the person's certificates, slips and receipts of the last 90 days."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.flows.api import DOCUMENTS, service_path
from kiosk.flows.person import PersonSession
from kiosk.hub_client import HubClient
from kiosk.hub_client.models import DocumentList

if TYPE_CHECKING:
    from kiosk.session import Identity


class Documents:
    def __init__(self, client: HubClient, person: PersonSession) -> None:
        self.client = client
        self.person = person

    def of_person(self, identity: Identity) -> DocumentList:
        """Newest first, masked by the hub, each with its printable as first
        issued; blocks. Raises :class:`~kiosk.hub_client.HubError` 403 when
        there is no live person session (the card must be read again)."""
        return self.client.call(
            DocumentList,
            "POST",
            service_path(DOCUMENTS),
            {"person_session": self.person.handle(identity)},
        )

"""补打: the person's certificates, slips and receipts of the last 90 days."""

from __future__ import annotations

from kiosk.flows.api import DOCUMENTS, service_path
from kiosk.hub_client import HubClient
from kiosk.hub_client.models import DocumentList


class Documents:
    def __init__(self, client: HubClient) -> None:
        self.client = client

    def of_person(self, id_number: str) -> DocumentList:
        """Newest first, masked by the hub, each with its printable as first
        issued; blocks. Raises :class:`~kiosk.hub_client.HubError` 404 for an
        unknown person."""
        return self.client.call(
            DocumentList, "POST", service_path(DOCUMENTS), {"id_number": id_number}
        )

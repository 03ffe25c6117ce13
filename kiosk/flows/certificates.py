"""社会保险参保证明: issued by the hub at once, with a verification code and a
QR that ``/verify/<code>`` on the hub checks."""

from __future__ import annotations

from kiosk.flows.api import INSURANCE_CERTIFICATE, service_path
from kiosk.hub_client import HubClient
from kiosk.hub_client.models import Certificate


class Certificates:
    def __init__(self, client: HubClient) -> None:
        self.client = client

    def insurance(self, id_number: str) -> Certificate:
        """Issue the person's 参保证明; blocks. Raises
        :class:`~kiosk.hub_client.HubError` 404 (with the hub's words) for a
        person without insurance to certify."""
        return self.client.call(
            Certificate, "POST", service_path(INSURANCE_CERTIFICATE), {"id_number": id_number}
        )

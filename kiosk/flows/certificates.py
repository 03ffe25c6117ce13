"""社会保险参保证明: issued by the hub at once, with a verification code and a
QR that ``/verify/<code>`` on the hub checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.flows.api import INSURANCE_CERTIFICATE, service_path
from kiosk.flows.person import PersonSession
from kiosk.hub_client import HubClient
from kiosk.hub_client.models import Certificate

if TYPE_CHECKING:
    from kiosk.session import Identity


class Certificates:
    def __init__(self, client: HubClient, person: PersonSession) -> None:
        self.client = client
        self.person = person

    def insurance(self, identity: Identity) -> Certificate:
        """Issue the person's 参保证明; blocks. Raises
        :class:`~kiosk.hub_client.HubError` 404 (with the hub's words) for a
        person without insurance to certify."""
        return self.client.call(
            Certificate,
            "POST",
            service_path(INSURANCE_CERTIFICATE),
            {"person_session": self.person.handle(identity)},
        )

"""取号: the counter's business types at this service point, and a number."""

from __future__ import annotations

from kiosk.flows.api import TICKET_TYPES, TICKETS, service_path
from kiosk.hub_client import HubClient
from kiosk.hub_client.models import Ticket, TicketTypes


class Tickets:
    def __init__(self, client: HubClient, *, service_point: str) -> None:
        self.client = client
        self.service_point = service_point

    def types(self) -> TicketTypes:
        """The business types here with how many wait in each; blocks. Raises
        :class:`~kiosk.hub_client.HubError` 404 where tickets are not offered."""
        path = service_path(TICKET_TYPES, service_point=self.service_point)
        return self.client.call(TicketTypes, "GET", path)

    def take(self, business_type: str) -> Ticket:
        """A number in the queue of ``business_type`` (its letter); blocks."""
        body = {"service_point": self.service_point, "business_type": business_type}
        return self.client.call(Ticket, "POST", service_path(TICKETS), body)

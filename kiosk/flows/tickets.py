"""取号: the counter's business types at this service point, and a number.

The hub issues numbers only at the service point this terminal enrolled at,
and only so many a minute and an hour; its refusals (403, 429) are sentences
for the person, shown and spoken like any other error's words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from kiosk.flows.api import TICKET_TYPES, TICKETS, service_path
from kiosk.hub_client import HubClient, HubError
from kiosk.hub_client.models import Ticket, TicketTypes

R = TypeVar("R")


class TicketRefused(HubError):
    """The hub will not give this terminal a number here (403: another service
    point, or none enrolled); ``user_message`` is the hub's sentence."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(status, detail)
        self.user_message = detail


def _refusals_for_the_person(call: Callable[[], R]) -> R:
    try:
        return call()
    except HubError as exc:
        if exc.status == 403 and exc.detail:
            raise TicketRefused(exc.status, exc.detail) from exc
        raise


class Tickets:
    def __init__(self, client: HubClient, *, service_point: str) -> None:
        self.client = client
        self.service_point = service_point

    def types(self) -> TicketTypes:
        """The business types here with how many wait in each; blocks. Raises
        :class:`~kiosk.hub_client.HubError` 404 where tickets are not offered,
        :class:`TicketRefused` where this terminal may not give numbers."""
        path = service_path(TICKET_TYPES, service_point=self.service_point)
        return _refusals_for_the_person(lambda: self.client.call(TicketTypes, "GET", path))

    def take(self, business_type: str) -> Ticket:
        """A number in the queue of ``business_type`` (its letter); blocks. Raises
        :class:`TicketRefused` (403) or :class:`~kiosk.hub_client.HubError` 429
        (too many just now) with the hub's words."""
        body = {"service_point": self.service_point, "business_type": business_type}
        return _refusals_for_the_person(
            lambda: self.client.call(Ticket, "POST", service_path(TICKETS), body)
        )

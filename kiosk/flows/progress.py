"""办件进度: applications by their 受理编号, or all of one person's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.flows.api import service_path
from kiosk.flows.person import PersonSession
from kiosk.hub_client import HubClient
from kiosk.hub_client.models import ApplicationList
from protocol.services import QueryKind, query_path

if TYPE_CHECKING:
    from kiosk.session import Identity


class Progress:
    def __init__(self, client: HubClient, person: PersonSession) -> None:
        self.client = client
        self.person = person

    def by_acceptance_no(self, acceptance_no: str) -> ApplicationList:
        """The application with this 14-digit number (no card needed: the answer
        is masked). Raises :class:`~kiosk.hub_client.HubError` 404 (with the
        hub's words) for an unknown number, 422 for a malformed one."""
        return self._query({"acceptance_no": acceptance_no})

    def of_person(self, identity: Identity) -> ApplicationList:
        """All of the card holder's applications, newest first (maybe none)."""
        return self._query({"person_session": self.person.handle(identity)})

    def _query(self, body: dict[str, str]) -> ApplicationList:
        path = service_path(query_path(QueryKind.APPLICATIONS))
        return self.client.call(ApplicationList, "POST", path, body)

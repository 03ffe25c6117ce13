"""办件进度: applications by their 受理编号, or all of one person's."""

from __future__ import annotations

from kiosk.flows.api import service_path
from kiosk.hub_client import HubClient
from kiosk.hub_client.models import ApplicationList
from protocol.services import QueryKind, query_path


class Progress:
    def __init__(self, client: HubClient) -> None:
        self.client = client

    def by_acceptance_no(self, acceptance_no: str) -> ApplicationList:
        """The application with this 14-digit number (no card needed: the answer
        is masked). Raises :class:`~kiosk.hub_client.HubError` 404 (with the
        hub's words) for an unknown number, 422 for a malformed one."""
        return self._query({"acceptance_no": acceptance_no})

    def of_person(self, id_number: str) -> ApplicationList:
        """All of the person's applications, newest first (maybe none)."""
        return self._query({"id_number": id_number})

    def _query(self, body: dict[str, str]) -> ApplicationList:
        path = service_path(query_path(QueryKind.APPLICATIONS))
        return self.client.call(ApplicationList, "POST", path, body)

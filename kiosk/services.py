"""The screens' way to the hub until they ask the flows themselves.

:class:`ServiceGateway` keeps the methods the screens call today; each is
answered by a flow (:mod:`kiosk.flows`, typed replies) and handed back in
the JSON shape the screens read. ``post``/``get`` still pass raw paths
through for the screens that build them. All of this module — the gateway
and the names re-exported below — goes when the screens switch to the flows.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from kiosk.flows import API, Flows
from kiosk.flows.offline_cache import OfflineCache
from kiosk.flows.queries import RECORD_KINDS
from kiosk.hub_client import HubClient, HubError, HubUnavailable

__all__ = ["API", "HubClient", "HubError", "HubUnavailable", "ServiceGateway", "as_dict"]


def as_dict(reply: BaseModel) -> dict[str, Any]:
    """A typed reply in the hub's JSON shape, as far as the model knows it."""
    data: dict[str, Any] = reply.model_dump(mode="json", exclude_unset=True)
    return data


class ServiceGateway:
    """What the screens ask of the hub, by purpose. Each call blocks.

    With an ``offline`` cache the catalogue and guides keep being served
    while the hub is unreachable (marked ``offline`` with ``fetched_at``).
    """

    def __init__(
        self,
        client: HubClient,
        *,
        terminal_name: str,
        service_point: str,
        offline: OfflineCache | None = None,
    ) -> None:
        self.client = client
        self.terminal_name = terminal_name
        self.service_point = service_point
        self.offline = offline
        self.flows = Flows.over(client, service_point=service_point, offline=offline)

    # Queries ----------------------------------------------------------------------------------

    def query(self, kind: str, id_number: str, **extra: Any) -> dict[str, Any]:
        """``kind``: contributions, pension, medical, subsidies, applications."""
        if kind == "pension":
            return as_dict(self.flows.queries.pension(id_number, int(extra.get("months", 12))))
        if kind == "applications":
            return as_dict(self.flows.progress.of_person(id_number))
        for known in RECORD_KINDS:
            if kind == known:
                return as_dict(self.flows.queries.records(known, id_number))
        raise ValueError(f"unknown query kind {kind!r}")

    def identify(
        self, *, id_number: str | None = None, ss_card_number: str | None = None
    ) -> dict[str, Any]:
        return as_dict(
            self.flows.queries.identify(id_number=id_number, ss_card_number=ss_card_number)
        )

    def documents(self, id_number: str) -> dict[str, Any]:
        """补打: the person's certificates, slips and receipts of the last 90 days."""
        return as_dict(self.flows.documents.of_person(id_number))

    # Catalogue and guides ---------------------------------------------------------------------

    def catalogue(self) -> dict[str, Any]:
        return as_dict(self.flows.catalogue.catalogue())

    def guide(self, item_id: str) -> dict[str, Any]:
        return as_dict(self.flows.catalogue.guide(item_id))

    def keep_guides_offline(self) -> int:
        """See :meth:`kiosk.flows.Catalogue.keep_offline`."""
        return self.flows.catalogue.keep_offline()

    # Ratings ----------------------------------------------------------------------------------

    def rating_reasons(self) -> list[dict[str, Any]]:
        return [as_dict(reason) for reason in self.flows.ratings.reasons().reasons]

    def rate(self, *, service_id: str, level: int, reasons: list[str], session_id: str) -> None:
        self.flows.ratings.rate(
            service_id=service_id, level=level, reasons=reasons, session_id=session_id
        )

    # Raw paths, for the screens that still build them -----------------------------------------

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.request("POST", f"{API}{path}", body)

    def get(self, path: str) -> Any:
        return self.client.request("GET", f"{API}{path}")

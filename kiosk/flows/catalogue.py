"""The catalogue of this service point and each item's 办事指南, kept on disk
for reading while the hub is unreachable (:mod:`kiosk.flows.offline_cache`)."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.flows.api import CATALOGUE, GUIDES, TOPICS, service_path
from kiosk.flows.offline_cache import K, OfflineCache
from kiosk.hub_client import HubClient
from kiosk.hub_client.models import Guide, PlaceCatalogue, TopicList


class Catalogue:
    """What this service point offers. Each method blocks.

    With ``offline`` the catalogue and guides are kept on every good answer
    and served (marked ``offline``) while the hub does not answer.
    """

    def __init__(
        self, client: HubClient, *, service_point: str, offline: OfflineCache | None = None
    ) -> None:
        self.client = client
        self.service_point = service_point
        self.offline = offline

    def _kept(self, key: str, model: type[K], load: Callable[[], K]) -> K:
        return self.offline.fetch(key, model, load) if self.offline is not None else load()

    def catalogue(self) -> PlaceCatalogue:
        """The topics with the items offered here (only topics that have some).

        Raises :class:`~kiosk.hub_client.HubUnavailable` when the hub is down
        and nothing is kept; :class:`~kiosk.hub_client.HubError` 404 for a
        service point the hub does not know (a terminal misconfigured).
        """
        path = service_path(CATALOGUE, place=self.service_point)
        return self._kept(
            f"catalogue-{self.service_point}",
            PlaceCatalogue,
            lambda: self.client.call(PlaceCatalogue, "GET", path),
        )

    def guide(self, item_id: str) -> Guide:
        """One item's 办事指南 (kept like the catalogue)."""
        path = service_path(GUIDES, item_id)
        return self._kept(f"guide-{item_id}", Guide, lambda: self.client.call(Guide, "GET", path))

    def topics(self) -> TopicList:
        """All 31 topics for natural persons, offered here or not (not kept)."""
        return self.client.call(TopicList, "GET", service_path(TOPICS))

    def keep_offline(self) -> int:
        """Fetch the catalogue and every guide in it, so all can be read offline later.

        Run in the background at start and on ``reload_catalogue``; returns how
        many guides were kept. Raises :class:`~kiosk.hub_client.HubUnavailable`
        when the hub is down.
        """
        kept = 0
        for topic in self.catalogue().topics:
            for item in topic.items:
                self.guide(item.id)
                kept += 1
        return kept

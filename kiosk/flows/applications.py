"""一证通办 applications: submitted once, replayed (not duplicated) by their key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from kiosk.flows.api import APPLICATIONS, service_path
from kiosk.hub_client import HubClient
from kiosk.hub_client.models import ApplicationAccepted

DeliveryMethod = Literal["counter", "post"]


class Applications:
    def __init__(self, client: HubClient) -> None:
        self.client = client

    def submit(
        self,
        *,
        item_id: str,
        id_number: str,
        form: Mapping[str, Any],
        delivery: DeliveryMethod,
        address: str | None,
        consent: bool,
        key: str,
    ) -> ApplicationAccepted:
        """Submit one application; blocks. Returns the 受理回执.

        ``form`` holds the item's fields (e.g. ``phone``, ``grade_yuan``);
        ``address`` is needed for ``delivery="post"``; ``consent`` is the
        person's separate consent (PIPL Art. 29). The same ``key`` again
        replays the first answer, so a retry after a lost reply is safe.

        Raises :class:`~kiosk.hub_client.HubError` with the hub's words
        (400 no consent or not offered here, 404 unknown person or item,
        422 a field refused) or :class:`~kiosk.hub_client.HubUnavailable`.
        """
        body = {
            "item_id": item_id,
            "id_number": id_number,
            "form": dict(form),
            "delivery": {"method": delivery, "address": address},
            "consent": consent,
            "idempotency_key": key,
        }
        return self.client.call(ApplicationAccepted, "POST", service_path(APPLICATIONS), body)

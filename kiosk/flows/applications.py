"""一证通办 applications: submitted once, replayed (not duplicated) by their key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from kiosk.flows.api import APPLICATIONS, service_path
from kiosk.flows.person import PersonSession
from kiosk.hub_client import HubClient
from kiosk.hub_client.models import ApplicationAccepted

if TYPE_CHECKING:
    from kiosk.session import Identity

DeliveryMethod = Literal["counter", "post"]


class Applications:
    def __init__(self, client: HubClient, person: PersonSession) -> None:
        self.client = client
        self.person = person

    def submit(
        self,
        *,
        item_id: str,
        identity: Identity,
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
        (400 no consent or not offered here, 403 no live person session, 404 unknown item,
        422 a field refused) or :class:`~kiosk.hub_client.HubUnavailable`.
        """
        body = {
            "item_id": item_id,
            "person_session": self.person.handle(identity),
            "form": dict(form),
            "delivery": {"method": delivery, "address": address},
            "consent": consent,
            "idempotency_key": key,
        }
        return self.client.call(ApplicationAccepted, "POST", service_path(APPLICATIONS), body)

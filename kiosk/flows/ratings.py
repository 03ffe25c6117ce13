"""好差评: the fixed levels and reasons the hub offers.

Ratings themselves do not go through here: the rate screen journals them
(:data:`protocol.events.RATING_RECORD`) and the outbox delivers them, so a
rating made while the hub is down is not lost (issue 13).
"""

from __future__ import annotations

from kiosk.flows.api import RATING_REASONS, service_path
from kiosk.hub_client import HubClient
from kiosk.hub_client.models import RatingReasons


class Ratings:
    def __init__(self, client: HubClient) -> None:
        self.client = client

    def reasons(self) -> RatingReasons:
        return self.client.call(RatingReasons, "GET", service_path(RATING_REASONS))

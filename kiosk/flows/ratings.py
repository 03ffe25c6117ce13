"""好差评: the fixed levels and reasons, and storing one rating (no personal data)."""

from __future__ import annotations

from datetime import UTC, datetime

from kiosk.flows.api import RATING_REASONS, RATINGS, service_path
from kiosk.hub_client import HubClient
from kiosk.hub_client.models import RatingReasons, RatingStored


class Ratings:
    def __init__(self, client: HubClient) -> None:
        self.client = client

    def reasons(self) -> RatingReasons:
        return self.client.call(RatingReasons, "GET", service_path(RATING_REASONS))

    def rate(
        self,
        *,
        service_id: str,
        level: int,
        reasons: list[str],
        session_id: str,
        at: datetime | None = None,
    ) -> RatingStored:
        """Store a rating of ``service_id`` (an item id, ``query.<kind>``, ``ticket``…)
        at ``level`` 1 (非常满意) … 5 (非常不满意); levels 4–5 need a reason.
        ``session_id`` is the kiosk session's opaque id; ``at`` defaults to now.
        Raises :class:`~kiosk.hub_client.HubError` 400 with the hub's words."""
        body = {
            "service_id": service_id,
            "level": level,
            "reasons": reasons,
            "terminal_session_id": session_id,
            # The hub requires when the person rated (a rating may arrive late).
            "at": (at or datetime.now(UTC)).isoformat(timespec="seconds"),
        }
        return self.client.call(RatingStored, "POST", service_path(RATINGS), body)

"""The catalogue, the 办事指南, rating reasons and queue tickets: what a service
point offers, nothing personal."""

from __future__ import annotations

from pydantic import ConfigDict, RootModel

from kiosk.hub_client.models.base import HubReply, Kept, Printable

# --- catalogue and guides (hub/services/catalogue_api.py) -----------------------------------


class PlaceInfo(HubReply):
    code: str
    name: str
    kind: str
    address: str


class ItemSummary(HubReply):
    id: str
    name: str
    department: str
    visits: str
    capabilities: list[str]
    query_kind: str | None
    form: str | None


class Topic(HubReply):
    code: str
    name: str
    note: str
    items: list[ItemSummary]


class PlaceCatalogue(Kept):
    """CatalogueOut: the topics with the items offered at one service point."""

    county: str
    place: PlaceInfo | None
    topics: list[Topic]


class TopicRef(HubReply):
    code: str
    name: str
    note: str


class TopicList(RootModel[list[TopicRef]]):
    """All 31 topics (``GET /catalogue/topics``)."""

    model_config = ConfigDict(frozen=True)


class Material(HubReply):
    name: str
    form: str
    copies: int
    note: str


class Fee(HubReply):
    name: str
    amount_fen: int
    basis: str


class TimeLimits(HubReply):
    statutory_days: int | None
    promised_days: int
    note: str


class Location(HubReply):
    name: str
    address: str
    hours: str


class Guide(Kept):
    """GuideOut: one item's 办事指南."""

    id: str
    name: str
    topic: str
    topic_name: str
    department: str
    legal_basis: list[str]
    conditions: list[str]
    materials: list[Material]
    process: list[str]
    fees: list[Fee]
    fees_text: str
    time_limits: TimeLimits
    where: list[Location]
    phone: str
    visits: str
    capabilities: list[str]
    query_kind: str | None
    form: str | None
    options: dict[str, list[int]]
    """Allowed values of form fields, e.g. ``grades_yuan``."""


# --- ratings (hub/services/ratings.py) ------------------------------------------------------


class RatingLevel(HubReply):
    level: int
    name: str


class RatingReason(HubReply):
    code: str
    text: str
    kind: str
    """``good`` or ``bad``."""


class RatingReasons(HubReply):
    """ReasonsOut: the five levels and the fixed reasons."""

    levels: list[RatingLevel]
    reasons: list[RatingReason]


# --- queue tickets (hub/services/tickets.py) ------------------------------------------------


class TicketType(HubReply):
    code: str
    name: str
    waiting: int


class TicketTypes(HubReply):
    """TicketTypesOut: the business types at a service point, with how many wait."""

    service_point: str
    service_point_name: str
    types: list[TicketType]


class Ticket(HubReply):
    """TicketOut: a queue number."""

    number: str
    waiting_ahead: int
    business_type: str
    business_type_name: str
    service_point_name: str
    issued_at: str
    printable: Printable

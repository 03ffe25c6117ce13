"""Routes: the catalogue by topic, the 31 topics, and one item's 办事指南."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from hub.services.catalogue import (
    Capability,
    Fee,
    FormKind,
    Location,
    Material,
    PlaceKind,
    QueryKind,
    TimeLimits,
    Visits,
)
from hub.services.catalogue_store import enabled_items, get_item
from hub.services.context import Ctx, Db
from hub.services.errors import NotFound, ServiceRoute
from hub.services.printable import yuan
from hub.services.topics import TOPICS, TOPICS_BY_CODE
from protocol.i18n import N_

router = APIRouter(route_class=ServiceRoute, tags=["catalogue"])

PlaceParam = Annotated[
    str | None,
    Query(max_length=64, description="service point code; omitted: the county-wide default"),
]


class PlaceOut(BaseModel):
    code: str
    name: str
    kind: PlaceKind
    address: str


class ItemSummary(BaseModel):
    id: str
    name: str
    department: str
    visits: Visits
    capabilities: list[Capability]
    query_kind: QueryKind | None
    form: FormKind | None


class TopicOut(BaseModel):
    code: str
    name: str
    note: str
    items: list[ItemSummary]


class CatalogueOut(BaseModel):
    county: str
    place: PlaceOut | None
    topics: list[TopicOut]


class TopicRef(BaseModel):
    code: str
    name: str
    note: str


class GuideOut(BaseModel):
    """An item's 办事指南 with every element seeds/001 requires."""

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
    visits: Visits
    capabilities: list[Capability]
    query_kind: QueryKind | None
    form: FormKind | None
    options: dict[str, list[int]]


@router.get("/catalogue", response_model=CatalogueOut, summary="Topics with the items offered here")
def catalogue(
    ctx: Ctx,
    db: Db,
    place: PlaceParam = None,
) -> CatalogueOut:
    place_out = None
    if place is not None:
        found = ctx.catalogue.place(place)
        if found is None:
            raise NotFound(N_("未知的服务点，请联系工作人员检查终端配置"))
        place_out = PlaceOut(**found.model_dump(exclude={"ticket_types"}))
    by_topic: dict[str, list[ItemSummary]] = {}
    for item in enabled_items(db, place):
        by_topic.setdefault(item.topic, []).append(ItemSummary(**item.model_dump()))
    topics = [
        TopicOut(code=t.code, name=t.name, note=t.note, items=by_topic[t.code])
        for t in TOPICS
        if t.code in by_topic
    ]
    return CatalogueOut(county=ctx.catalogue.county, place=place_out, topics=topics)


@router.get("/catalogue/topics", response_model=list[TopicRef], summary="All 31 topics")
def topics() -> list[TopicRef]:
    return [TopicRef(code=t.code, name=t.name, note=t.note) for t in TOPICS]


@router.get("/guides/{item_id}", response_model=GuideOut, summary="One item's 办事指南")
def guide(item_id: Annotated[str, Path(max_length=64)], db: Db) -> GuideOut:
    item = get_item(db, item_id)
    if item is None:
        raise NotFound(N_("未找到该事项的办事指南"))
    total = sum(f.amount_fen for f in item.fees)
    return GuideOut(
        **item.model_dump(exclude={"enabled"}),
        topic_name=TOPICS_BY_CODE[item.topic].name,
        fees_text=N_("不收费") if not item.fees else yuan(total),
    )

"""办事: the service catalogue by topic, then the items of a topic.

Only topics with items offered at this service point appear (the hub
filters by ``place``). Each item says what this terminal can do for it —
apply, pay, print, query here, or read the guide only — so nobody walks
into an item only to learn it needs the counter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from kiosk.hub_client.models import ItemSummary, PlaceCatalogue, Topic
from kiosk.i18n import N_
from kiosk.ui import Option, ScreenContext
from screens import previews
from screens.common import ChoiceScreen, LoadingScreen, offered

# What the terminal can do for an item, strongest first (catalogue "capabilities").
MARKS: tuple[tuple[str, str], ...] = (
    ("apply", N_("可在本机申请")),
    ("pay", N_("可在本机缴费")),
    ("print", N_("可在本机打印")),
    ("query", N_("可在本机查询")),
)
GUIDE_ONLY = N_("仅提供办事指南")


def item_mark(capabilities: list[str]) -> str:
    """The one mark for an item: what the terminal can do for it, or guide only."""
    for cap, mark in MARKS:
        if cap in capabilities:
            return mark
    return GUIDE_ONLY


class ApplyMenuScreen(LoadingScreen[PlaceCatalogue]):
    """Topics (主题) that have items here."""

    name = "apply_menu"
    title = N_("办事")
    instruction = N_("请选择事项所属的类别")
    step = (1, 3)
    preview: ClassVar[dict[str, Any]] = {"data": previews.CATALOGUE}

    def fetch(self) -> Callable[[], PlaceCatalogue]:
        return self.ctx.flows.catalogue.catalogue

    def ready_choices(self, data: PlaceCatalogue) -> list[Option]:
        return [
            Option(topic.name, self._open(topic), name=f"topic_{topic.code}")
            for topic in data.topics
        ]

    def _open(self, topic: Topic) -> Callable[[], None]:
        def open_topic() -> None:
            self.ctx.nav.go("catalog_items", topic=topic)

        return open_topic


class CatalogItemsScreen(ChoiceScreen):
    """The items of one topic, each with what can be done for it here."""

    name = "catalog_items"
    instruction = N_("请选择要办理的事项，每项都注明本机能办理的内容")
    step = (2, 3)
    grid = True  # item names are long: large tiles give them room to wrap
    preview: ClassVar[dict[str, Any]] = {"topic": previews.TOPIC}

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.topic: Topic = params["topic"]

    def title_text(self) -> str:
        return self.topic.name

    def choices(self) -> list[Option]:
        return [
            Option(
                f"{item.name}（{self.ctx.tr(item_mark(offered(self.ctx, item.capabilities)))}）",
                self._open(item),
                name=f"item_{item.id}",
            )
            for item in self.topic.items
        ]

    def _open(self, item: ItemSummary) -> Callable[[], None]:
        def open_item() -> None:
            self.ctx.session.service_id = item.id
            self.ctx.nav.go("guide", item_id=item.id)

        return open_item

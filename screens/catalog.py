"""办事: the service catalogue by topic, then the items of a topic.

Only topics with items offered at this service point appear (the hub
filters by ``place``). Each item says what this terminal can do for it —
apply, pay, print, query here, or read the guide only — so nobody walks
into an item only to learn it needs the counter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from kiosk.i18n import N_
from kiosk.ui import Option, ScreenContext
from screens import previews
from screens.common import ChoiceScreen, LoadingScreen

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


class ApplyMenuScreen(LoadingScreen):
    """Topics (主题) that have items here."""

    name = "apply_menu"
    title = N_("办事")
    instruction = N_("请选择事项所属的类别")
    step = (1, 3)
    preview: ClassVar[dict[str, Any]] = {"data": {"topics": [previews.TOPIC]}}

    def fetch(self) -> Callable[[], Any]:
        gateway = self.ctx.services()

        def load() -> Any:
            # Looked up on the task thread: a gateway without a catalogue fails there,
            # as an error the screen shows, not in the UI loop.
            return gateway.catalogue()

        return load

    def ready_choices(self) -> list[Option]:
        return [
            Option(topic["name"], self._open(topic), name=f"topic_{topic['code']}")
            for topic in self.data["topics"]
        ]

    def _open(self, topic: dict[str, Any]) -> Callable[[], None]:
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
        self.topic: dict[str, Any] = params["topic"]

    def title_text(self) -> str:
        return str(self.topic["name"])

    def choices(self) -> list[Option]:
        return [
            Option(
                f"{item['name']}（{self.ctx.tr(item_mark(item['capabilities']))}）",
                self._open(item),
                name=f"item_{item['id']}",
            )
            for item in self.topic["items"]
        ]

    def _open(self, item: dict[str, Any]) -> Callable[[], None]:
        def open_item() -> None:
            self.ctx.session.service_id = str(item["id"])
            self.ctx.nav.go("guide", item_id=item["id"])

        return open_item

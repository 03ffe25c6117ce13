"""Shapes the service journeys share: choices in small groups, screens that
load from the hub, printing with feedback, and ending a service.

长辈 mode allows at most six numbered choices on a screen
(accessibility.md §6: fewer choices per screen); a long list is shown in
groups with 上一组 / 下一组 instead, so the person never meets more than
six numbers at once.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from kiosk.hub_client.models import Kept, Printable
from kiosk.i18n import N_
from kiosk.ui import Option, Screen, ScreenContext
from kiosk.ui.blocks import notice

if TYPE_CHECKING:
    from kiosk.receipts import Receipt

Reply = TypeVar("Reply")

ELDER_MAX_OPTIONS = 6
STANDARD_MAX_OPTIONS = 9


def max_options(ctx: ScreenContext) -> int:
    return ELDER_MAX_OPTIONS if ctx.session.modes.elder else STANDARD_MAX_OPTIONS


def finish_service(ctx: ScreenContext) -> None:
    """The service is done: count it as completed and ask for a rating (好差评)."""
    ctx.session.completed = True
    ctx.nav.go("rate")


def pay_elsewhere(ctx: ScreenContext) -> str | None:
    """While the hub takes no payments: the words that say so and where people
    pay instead (the county's sentence, in the person's language), to show and
    speak where 缴费 would be; None while payments are on."""
    where = ctx.flows.hub_offer.pay_elsewhere
    if where is None:
        return None
    text = where.en if ctx.tr.language == "en" else where.zh
    if not text:
        return ctx.tr("本机暂不办理缴费，请到服务窗口缴费")
    return ctx.tr.format("本机暂不办理缴费。{where}", where=text)


def offered(ctx: ScreenContext, capabilities: list[str]) -> list[str]:
    """What this terminal can do for an item now: its catalogue ``capabilities``
    without ``pay`` while the hub takes no payments."""
    if "pay" in capabilities and pay_elsewhere(ctx) is not None:
        return [c for c in capabilities if c != "pay"]
    return capabilities


def needs_identity(ctx: ScreenContext, then: str, **params: Any) -> bool:
    """If nobody is identified yet, go to the card screen (which returns to ``then``)."""
    if ctx.session.identity is not None:
        return False
    ctx.nav.go("identify", then=then, **params)
    return True


class ChoiceScreen(Screen):
    """A screen whose choices come in groups small enough for 长辈 mode.

    Override :meth:`choices` (the list) and optionally :meth:`fixed_options`
    (always shown after the group, e.g. 打印). Content blocks should stay
    short on such screens: content paging would add two more numbers.
    """

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.group = 0

    def choices(self) -> list[Option]:
        return []

    def fixed_options(self) -> list[Option]:
        return []

    def options(self) -> list[Option]:
        items, fixed = self.choices(), self.fixed_options()
        budget = max(1, max_options(self.ctx) - len(fixed))
        if len(items) <= budget:
            return items + fixed
        per = max(1, budget - 2)  # room for 上一组 and 下一组
        groups = -(-len(items) // per)
        self.group = min(self.group, groups - 1)
        shown = items[self.group * per : (self.group + 1) * per]
        nav = []
        if self.group > 0:
            nav.append(Option(N_("上一组"), self._prev_group, "secondary", name="prev_group"))
        if self.group < groups - 1:
            nav.append(Option(N_("下一组"), self._next_group, "secondary", name="next_group"))
        return shown + nav + fixed

    def _prev_group(self) -> None:
        self.group = max(0, self.group - 1)
        self.refresh()
        self.ctx.voice.announce(self)

    def _next_group(self) -> None:
        self.group += 1
        self.refresh()
        self.ctx.voice.announce(self)


class LoadingScreen(ChoiceScreen, Generic[Reply], metaclass=ABCMeta):
    """Loads what it shows from the hub when it appears: a flow's typed reply.

    Shows 正在查询 at once (feedback within 100 ms while the hub answers),
    then the data; a failure is shown and spoken in plain words with 重试.
    Override :meth:`fetch` (runs on a task thread) and :meth:`ready_choices`.
    """

    loading_text = N_("正在查询，请稍候……")

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.data: Reply | None = params.get("data")  # preloaded (previews); else fetched
        self.failed = False

    @abstractmethod
    def fetch(self) -> Callable[[], Reply]:
        """The flow's blocking call to run on a task thread (capture values, not ``self.ctx``)."""

    def loaded(self, data: Reply) -> None:
        """Hook after the data arrived (UI thread)."""

    def ready_choices(self, data: Reply) -> list[Option]:
        """The choices once ``data`` (the loaded reply) is here."""
        return []

    def on_enter(self) -> None:
        if self.data is None:
            self.reload()

    def reload(self) -> None:
        self.failed = False
        self.show_notice(self.ctx.tr(self.loading_text), speak=False)
        self.ctx.tasks.run(self.fetch(), self._on_loaded, self._on_load_error)

    def _on_loaded(self, data: Reply) -> None:
        self.data = data
        self.notice = None
        if isinstance(data, Kept) and data.offline and data.fetched_at is not None:
            # The hub did not answer; this is the copy the kiosk kept (guides only).
            when = datetime.fromtimestamp(data.fetched_at).strftime("%Y-%m-%d")
            message = self.ctx.tr.format(
                "暂时无法连接服务中心，以下是本机保存的信息（{date}）", date=when
            )
            self.notice = notice(self.ctx.tr, message, "info")
        self.loaded(data)
        self.refresh()
        self.ctx.voice.announce(self)

    def _on_load_error(self, exc: Exception) -> None:
        self.failed = True
        self.show_notice(self.ctx.error_message(exc), "error")

    def choices(self) -> list[Option]:
        if self.data is None:
            if self.failed:
                return [Option(N_("重试"), self.reload, confirm=True, name="retry")]
            return []
        return self.ready_choices(self.data)


def kept_prints(ctx: ScreenContext) -> list[Printable]:
    """What this terminal printed in this session (for 补打), oldest first."""
    kept: list[Printable] = ctx.session.data.get("printed", [])
    return kept


def keep_for_reprint(screen: Screen, printable: Printable) -> None:
    """Remember a printable for 补打 in this session (once, however often the screen shows)."""
    kept: list[Printable] = screen.ctx.session.data.setdefault("printed", [])
    if not any(p is printable for p in kept):
        kept.append(printable)


class ReceiptPrinting:
    """Printing from a screen: one job at a time, result shown and spoken.

    ``enabled``/``reason`` feed the option so a printer without paper is
    named on the button before the person presses it.
    """

    def __init__(self, screen: Screen) -> None:
        self.screen = screen
        self.busy = False
        self.done = 0

    def option(
        self, make: Callable[[], Receipt], label: str = N_("打印"), name: str = "print"
    ) -> Option:
        ok, why = self.screen.ctx.devices.available("printer")
        return Option(
            N_("再打印一份") if self.done else label,
            lambda: self.start(make()),
            enabled=ok and not self.busy,
            reason=why if not ok else N_("正在打印"),
            name=name,
        )

    def start(self, receipt: Receipt, after: Callable[[], None] | None = None) -> None:
        if self.busy:
            return
        ctx = self.screen.ctx
        self.busy = True
        self.screen.show_notice(ctx.tr("正在打印，请稍候……"))

        def printed(_: object) -> None:
            self.busy = False
            self.done += 1
            self.screen.show_notice(ctx.tr("打印完成，请取走凭条"), "success")
            if after is not None:
                after()

        def failed(exc: Exception) -> None:
            self.busy = False
            self.screen.show_notice(ctx.error_message(exc), "error")

        ctx.devices.print_receipt(receipt, printed, failed)

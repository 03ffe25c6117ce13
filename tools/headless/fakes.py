"""The edges of a headless kiosk, replaced where they meet the app: a clock
that moves when told, tasks that run when asked, devices that print into a
list, a recorder that keeps everything, a hub gateway that answers like the
hub, and the people whose cards are read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from drivers.errors import PaperOut
from kiosk.events import UiQueue
from kiosk.services import HubUnavailable
from kiosk.session import Identity
from kiosk.tasks import TaskRunner

CANARY_NAME = "测试金丝雀"  # searched for after a visit: it must be gone everywhere
CANARY_ID = "410225195001010016"


class FakeClock:
    """Monotonic seconds that move only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class HeldTasks(TaskRunner):
    """A :class:`TaskRunner` that runs work on the loop's thread when asked.

    ``submit`` only queues; :meth:`run_pending` runs the work and posts the
    result to the UI queue like the real runner. While :attr:`hold` is
    True, :meth:`run_pending` does nothing (a hub call that takes long).
    """

    def __init__(self, ui: UiQueue) -> None:
        super().__init__(ui, workers=1)  # the pool starts no thread until used
        self._queued: list[tuple[int, Callable[[], Any], Callable[[Any], None], Any]] = []
        self.hold = False

    @property
    def busy(self) -> bool:
        return bool(self._queued)

    def submit(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        self._queued.append((self.generation, fn, on_done, on_error))

    def run_pending(self) -> int:
        """Run queued work (unless held); returns how many ran."""
        if self.hold:
            return 0
        ran = 0
        while self._queued and ran < 100:
            generation, fn, on_done, on_error = self._queued.pop(0)
            ran += 1
            try:
                result = fn()
            except Exception as exc:  # noqa: BLE001 - supervision point, as in TaskRunner
                callback, value = on_error, exc
            else:
                callback, value = on_done, result
            if generation == self.generation:
                self._ui.post(callback, value)
        return ran


class FakeDevices:
    """Every device online; receipts are kept in :attr:`printed`. Implements
    ``kiosk.ports.Devices``. ``paper_out`` makes printing fail as a printer
    without paper does; ``unavailable`` maps a device to the msgid saying why
    it cannot serve."""

    def __init__(self, *, paper_out: bool = False) -> None:
        self.printed: list[Any] = []
        self.paper_out = paper_out
        self.unavailable: dict[str, str] = {}

    def available(self, device: str) -> tuple[bool, str]:
        if device == "printer" and self.paper_out:
            return False, "打印机缺纸，暂时无法打印"
        why = self.unavailable.get(device)
        return (False, why) if why else (True, "")

    def out_of_service_reason(self) -> str | None:
        return None

    def print_receipt(self, receipt: Any) -> None:
        if self.paper_out:
            raise PaperOut("paper out")
        self.printed.append(receipt)

    def demo_key(self, key: int) -> bool:
        return False

    def health_snapshot(self) -> list[dict[str, str]]:
        return []


class RecordingRecorder:
    """Keeps every journal record, hub event and screen entered. Implements
    ``kiosk.ports.Recorder``."""

    def __init__(self) -> None:
        self.records: list[tuple[str, dict[str, Any]]] = []
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.screens: list[str] = []

    def record(self, kind: str, data: dict[str, Any]) -> None:
        self.records.append((kind, dict(data)))

    def event(self, kind: str, data: dict[str, Any]) -> None:
        self.events.append((kind, dict(data)))

    def screen_changed(self, name: str) -> None:
        self.screens.append(name)

    @property
    def current_screen(self) -> str:
        return self.screens[-1] if self.screens else ""


@dataclass
class FakeGateway:
    """Answers queries and ratings like the hub's service API (masked at the hub);
    ``down`` makes every call fail as an unreachable hub does."""

    down: bool = False
    ratings: list[dict[str, Any]] = field(default_factory=list)
    queries: list[tuple[str, str]] = field(default_factory=list)

    def query(self, kind: str, id_number: str, **_: Any) -> dict[str, Any]:
        if self.down:
            raise HubUnavailable("ConnectionError")
        self.queries.append((kind, id_number))
        rows = [[str(y), "300元", "300.00元", "30.00元"] for y in range(2026, 2008, -1)]
        # The hub's response shape (hub/services/queries_api.py): masked at the hub.
        return {
            "person": {"name_masked": "测***雀", "id_masked": "4102**********0016"},
            "printable": {
                "title": "城乡居民基本养老保险缴费记录",
                "lines": [
                    {"label": "姓名", "value": "测***雀"},
                    {"label": "身份证号", "value": "4102**********0016"},
                    {"label": "累计缴费年限", "value": "18年"},
                ],
                "table": {"columns": ["年度", "档次", "个人缴费", "政府补贴"], "rows": rows},
                "notes": [],
                "issued_at": "2026-11-22 10:00",
            },
        }

    def rate(self, **rating: Any) -> None:
        if self.down:
            raise HubUnavailable("ConnectionError")
        self.ratings.append(rating)


def sample_identity() -> Identity:
    """The first demo citizen (config/demo/citizens.json), as the ID-card reader gives her."""
    return Identity(
        source="idcard",
        name="张秀兰",
        id_number="410225194103152422",
        birth_date=date(1941, 3, 15),
        sex="女",
        nation="汉",
        address="河南省兰考县东坝头镇张庄村3组18号",
    )


def canary_identity() -> Identity:
    """A person whose name and ID number must leave no trace after the visit."""
    return Identity(
        source="idcard",
        name=CANARY_NAME,
        id_number=CANARY_ID,
        birth_date=date(1950, 1, 1),
        address="河南省兰考县测试村",
    )

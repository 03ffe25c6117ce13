"""Drive the real App headless: real screens, fonts and event handling,
with the edges replaced at their boundary (a fake hub gateway answering
like the hub, fake devices, a controllable clock, speech that records)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pygame

from drivers.errors import DeviceError, PaperOut
from drivers.speech import NullSpeech
from kiosk.app import App
from kiosk.config import KioskConfig
from kiosk.events import UiQueue
from kiosk.i18n import Translator
from kiosk.services import HubUnavailable
from kiosk.session import Identity
from kiosk.tasks import TaskRunner
from kiosk.ui.fonts import FontBook, find_cjk_faces
from kiosk.ui.text import TextRenderer
from kiosk.voice import VoiceGuide

CANARY_NAME = "测试金丝雀"
CANARY_ID = "410225195001010016"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeGateway:
    """Answers like the hub's service API; ``down`` makes every call fail."""

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


@dataclass
class FakeDevices:
    printed: list[Any] = field(default_factory=list)
    paper_out: bool = False

    def available(self, device: str) -> tuple[bool, str]:
        if device == "printer" and self.paper_out:
            return False, "打印机缺纸，暂时无法打印"
        return True, ""

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


class ListRecorder:
    def __init__(self) -> None:
        self.records: list[tuple[str, dict[str, Any]]] = []
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.current_screen = ""

    def record(self, kind: str, data: dict[str, Any]) -> None:
        self.records.append((kind, dict(data)))

    def event(self, kind: str, data: dict[str, Any]) -> None:
        self.events.append((kind, dict(data)))

    def screen_changed(self, name: str) -> None:
        self.current_screen = name


_fonts: FontBook | None = None


def fonts() -> FontBook:
    global _fonts
    if _fonts is None:
        _fonts = FontBook(*find_cjk_faces())
    return _fonts


def make_app(
    config: KioskConfig | None = None,
    *,
    gateway: Any = None,
    devices: Any = None,
    size: tuple[int, int] = (1280, 800),
) -> App:
    pygame.display.init()
    surface = pygame.display.set_mode(size)
    config = config or KioskConfig()
    ui = UiQueue()
    speech = NullSpeech()
    speech.start()
    app = App(
        config=config,
        surface=surface,
        tr=Translator(config.ui.language),
        text=TextRenderer(fonts()),
        voice=VoiceGuide(speech, config.speech.rate_cpm),
        gateway=gateway if gateway is not None else FakeGateway(),
        devices=devices if devices is not None else FakeDevices(),
        recorder=ListRecorder(),
        ui=ui,
        tasks=TaskRunner(ui),
        clock=FakeClock(),
        today=lambda: date(2026, 11, 22),
    )
    app.step()
    return app


def settle(app: App, timeout: float = 5.0) -> None:
    """Step until background tasks are done and their results handled."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.step()
        if not app.tasks.busy and app.ui.empty():
            app.step()
            return
        time.sleep(0.005)
    raise AssertionError("app did not settle")


def press(app: App, *keys: int) -> None:
    for key in keys:
        pygame.event.post(
            pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode="", scancode=0)
        )
        app.step()
        settle(app)


def touch_at(app: App, pos: tuple[int, int]) -> None:
    app.clock.advance(1.0)  # type: ignore[attr-defined]
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=pos, touch=True))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=pos, touch=True))
    app.step()
    settle(app)


def tap(app: App, name: str) -> None:
    """Touch the button called ``name`` (finger down then up at its centre)."""
    app.draw()
    screen = app.screen
    buttons = {b.name: b for b in screen.buttons + screen.chrome}
    if name not in buttons:
        raise AssertionError(f"no button {name!r} on {screen.name}: {sorted(buttons)}")
    touch_at(app, buttons[name].rect.center)


def canary_identity() -> Identity:
    return Identity(
        source="idcard",
        name=CANARY_NAME,
        id_number=CANARY_ID,
        birth_date=date(1950, 1, 1),
        address="河南省兰考县测试村",
    )


def place_card(app: App, identity: Identity | None = None) -> Identity:
    identity = identity or canary_identity()
    app.ui.post(app.on_identity, identity)
    settle(app)
    return identity


def device_error(message: str) -> DeviceError:
    return DeviceError("test", user_message=message)

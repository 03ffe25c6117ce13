"""A headless kiosk for the audit and the accessibility tests.

Builds the real :class:`~kiosk.app.App` (real screens, chrome, theme,
fonts, translations, :class:`~kiosk.voice.VoiceGuide`) on the SDL dummy
video driver, with the parts around it replaced at their edges:

- a fake clock the test advances (timeouts without sleeping),
- tasks that run when :meth:`Harness.settle` is called, on the loop's
  thread (deterministic, and :attr:`HeldTasks.hold` keeps them pending to
  test "no timeout while a task runs"),
- devices that are all online and print into a list,
- a recorder that keeps every record and event,
- :class:`~drivers.speech.NullSpeech`, which keeps everything said,
- the hub behind :class:`~kiosk.audit.sample_hub.SampleHubClient`.

Input goes through pygame's event queue and :meth:`App.step`, exactly as
on the kiosk.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pygame

from drivers.speech import NullSpeech
from kiosk.app import App
from kiosk.audit.sample_hub import SampleHubClient
from kiosk.config import KioskConfig, load_config
from kiosk.events import UiQueue
from kiosk.i18n import Translator
from kiosk.services import ServiceGateway
from kiosk.session import Identity
from kiosk.tasks import TaskRunner
from kiosk.theme import Color
from kiosk.ui.fonts import FontBook, find_cjk_faces
from kiosk.ui.text import TextRenderer
from kiosk.voice import VoiceGuide

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO_ROOT / "config" / "kiosk.toml"
DEFAULT_WINDOW = (1920, 1080)  # a 21.5-23" 1080p panel, the common kiosk screen
AUDIT_TODAY = date(2026, 11, 20)


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
    """Every device online; receipts are kept in :attr:`printed`. Implements ``Devices``."""

    def __init__(self) -> None:
        self.printed: list[Any] = []
        self.unavailable: dict[str, str] = {}  # device -> msgid why

    def available(self, device: str) -> tuple[bool, str]:
        why = self.unavailable.get(device)
        return (False, why) if why else (True, "")

    def out_of_service_reason(self) -> str | None:
        return None

    def print_receipt(self, receipt: Any) -> None:
        self.printed.append(receipt)

    def demo_key(self, key: int) -> bool:
        return False

    def health_snapshot(self) -> list[dict[str, str]]:
        return []


class RecordingRecorder:
    """Keeps every journal record and hub event. Implements ``kiosk.ports.Recorder``."""

    def __init__(self) -> None:
        self.records: list[tuple[str, dict[str, Any]]] = []
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.screens: list[str] = []

    def record(self, kind: str, data: dict[str, Any]) -> None:
        self.records.append((kind, data))

    def event(self, kind: str, data: dict[str, Any]) -> None:
        self.events.append((kind, data))

    def screen_changed(self, name: str) -> None:
        self.screens.append(name)


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


class TracingTextRenderer(TextRenderer):
    """A :class:`TextRenderer` that remembers which string each rendered surface shows."""

    def __init__(self, fonts: FontBook) -> None:
        super().__init__(fonts)
        self.strings: dict[int, str] = {}

    def render(self, text: str, size: int, color: Color, bold: bool = False) -> pygame.Surface:
        surf = super().render(text, size, color, bold)
        self.strings[id(surf)] = text  # cached surfaces live on, so their ids stay theirs
        return surf

    def clear(self) -> None:
        super().clear()
        self.strings.clear()


class TextTracingSurface(pygame.Surface):
    """The screen the app draws on in the audit: it notes which string was blitted into
    which rectangle, so the audit knows a run is Chinese or Latin without guessing."""

    def __init__(self, size: tuple[int, int]) -> None:
        super().__init__(size)
        self.renderer: TracingTextRenderer | None = None
        self.texts: dict[tuple[int, int, int, int], str] = {}

    def blit(
        self, source: pygame.Surface, dest: Any = (0, 0), area: Any = None, special_flags: int = 0
    ) -> pygame.Rect:
        rect = super().blit(source, dest, area, special_flags)
        if self.renderer is not None and area is None:
            text = self.renderer.strings.get(id(source))
            if text is not None:
                w, h = source.get_size()
                self.texts[(rect.x, rect.y, w, h)] = text
        return rect


class Harness:
    """One headless kiosk. Create with :func:`Harness.create`; call :meth:`close` at the end."""

    def __init__(
        self,
        config: KioskConfig,
        window: tuple[int, int],
        *,
        hub_client: Any = None,
    ) -> None:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
        pygame.display.init()
        self.config = config
        pygame.display.set_mode(window)
        self.surface = TextTracingSurface(window)
        self.hub_client = hub_client or SampleHubClient()
        self.text = TracingTextRenderer(FontBook(*find_cjk_faces()))
        self.surface.renderer = self.text
        self.new_app()

    def new_app(self) -> None:
        """A fresh app, clock, tasks, devices, recorder and speech (fonts and hub are kept)."""
        config = self.config
        reset = getattr(self.hub_client, "reset", None)
        if reset is not None:
            reset()  # the hub forgets the previous visit too
        self.clock = FakeClock()
        self.ui = UiQueue()
        self.tasks = HeldTasks(self.ui)
        self.devices = FakeDevices()
        self.recorder = RecordingRecorder()
        self.speech = NullSpeech()
        self.speech.start()
        self.voice = VoiceGuide(self.speech, config.speech.rate_cpm)
        gateway = ServiceGateway(
            self.hub_client,
            terminal_name=config.terminal.name,
            service_point=config.terminal.service_point,
        )
        self.text.clear()
        self.app = App(
            config=config,
            surface=self.surface,
            tr=Translator(config.ui.language),
            text=self.text,
            voice=self.voice,
            gateway=gateway,
            devices=self.devices,
            recorder=self.recorder,
            ui=self.ui,
            tasks=self.tasks,
            clock=self.clock,
            today=lambda: AUDIT_TODAY,
        )

    @classmethod
    def create(
        cls,
        config_path: Path | None = None,
        window: tuple[int, int] = DEFAULT_WINDOW,
        *,
        hub_client: Any = None,
        **session_overrides: Any,
    ) -> Harness:
        """A kiosk from ``config_path`` (default config/kiosk.toml), simulated devices,
        the sample hub; ``session_overrides`` replace ``[session]`` keys."""
        config = load_config(config_path or DEFAULT_CONFIG)
        if session_overrides:
            session = config.session.model_copy(update=session_overrides)
            config = config.model_copy(update={"session": session})
        return cls(config, window, hub_client=hub_client)

    # --- driving ---------------------------------------------------------------------------------

    def settle(self, max_rounds: int = 20) -> None:
        """Step the app until no task or posted callback is left (bounded)."""
        for _ in range(max_rounds):
            self.app.step()
            ran = self.tasks.run_pending()
            if not ran and self.ui.empty():
                break
        self.app.step()

    def key(self, key: int, unicode: str = "") -> None:
        """Press and release a key (the app acts on KEYDOWN), then settle."""
        pg = pygame
        pg.event.post(pg.event.Event(pg.KEYDOWN, key=key, mod=0, unicode=unicode, scancode=0))
        self.clock.advance(0.6)  # longer than the tap debounce: a deliberate new press
        self.settle()

    def tap(self, pos: tuple[int, int], hold_s: float = 0.1) -> None:
        """Finger down and up at ``pos``; the action happens on finger-up."""
        pg = pygame
        pg.event.post(pg.event.Event(pg.MOUSEBUTTONDOWN, pos=pos, button=1))
        self.app.step()
        self.clock.advance(hold_s)
        pg.event.post(pg.event.Event(pg.MOUSEBUTTONUP, pos=pos, button=1))
        self.settle()

    def button(self, name: str) -> Any:
        """The on-screen button (option or chrome) called ``name``; raises KeyError."""
        self.app.dirty = True
        self.app.step()
        screen = self.app.screen
        for b in screen.buttons + screen.chrome:
            if b.name == name:
                return b
        names = [b.name for b in screen.buttons + screen.chrome]
        raise KeyError(f"no button {name!r} on {screen.name}; have {names}")

    def tap_button(self, name: str) -> None:
        self.clock.advance(0.6)
        self.tap(self.button(name).rect.center)

    def place_card(self, identity: Identity | None = None) -> None:
        """The ID-card reader read a card (as the device hub posts it)."""
        self.app.on_identity(identity or sample_identity())
        self.settle()

    def spoken_since(self, mark: int) -> list[str]:
        return self.speech.said[mark:]

    def close(self) -> None:
        self.tasks.shutdown()
        self.speech.close()
        closer = getattr(self.hub_client, "close", None)
        if closer is not None:
            closer()

"""The one headless kiosk that tests, the audit and the benchmarks drive.

:class:`Harness` builds the real :class:`~kiosk.app.App` — real screens
(``screens.SCREENS``), chrome, theme, fonts, translations and voice guide —
and drives it as a person does: keys and touches go through pygame's event
queue and :meth:`App.step`, cards through the UI queue as the device hub
posts them. What differs between its users is chosen by options:

- headless (the default, SDL's dummy video driver): a fake clock the
  caller advances (timeouts without sleeping), tasks held until
  :meth:`Harness.settle` runs them on the loop's thread (deterministic;
  :attr:`HeldTasks.hold` keeps them pending), or real task threads
  (``held_tasks=False``); devices that print into a list; a recorder that
  keeps everything; :class:`~drivers.speech.NullSpeech`, which keeps what
  was said; a hub that answers at the JSON boundary
  (:class:`~tools.headless.fakes.FakeHub`), the real hub in-process
  (``hub_client=SampleHubClient()``, the audit's) or over the network (a
  :class:`~kiosk.hub_client.HubClient`), under the real flows;
  ``trace_text`` notes which string was drawn where (the audit);
- ``live=True`` (the benchmarks): the terminal exactly as ``main.py``
  builds it (:class:`kiosk.runtime.Terminal`: real window, simulated
  devices, the hub at ``config.hub.url``, real clock, threads and speech),
  with every flip timed (:attr:`Harness.frames`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pygame

from drivers.speech import NullSpeech, Speech
from kiosk.app import App
from kiosk.config import KioskConfig, load_config
from kiosk.events import UiQueue
from kiosk.flows import Flows, OfflineCache
from kiosk.hub_client import HubClient
from kiosk.i18n import Translator
from kiosk.ports import Devices, Recorder
from kiosk.runtime import Terminal
from kiosk.session import Identity
from kiosk.signing import TerminalKey
from kiosk.tasks import TaskRunner
from kiosk.ui import ScreenSet
from kiosk.ui.fonts import FontBook, find_cjk_faces
from kiosk.ui.text import TextRenderer
from kiosk.voice import VoiceGuide
from screens import SCREENS
from tools.headless.fakes import (
    FakeClock,
    FakeDevices,
    FakeHub,
    HeldTasks,
    RecordingRecorder,
    sample_identity,
)
from tools.headless.sample_hub import SampleHubClient
from tools.headless.tracing import TextTracingSurface, TracingTextRenderer

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO_ROOT / "config" / "kiosk.toml"
HEADLESS_WINDOW = (1280, 800)  # the demo window
AUDIT_WINDOW = (1920, 1080)  # a 21.5-23" 1080p panel, the common kiosk screen
HEADLESS_TODAY = date(2026, 11, 22)
AUDIT_TODAY = date(2026, 11, 20)
KEY_GAP_S = 0.6  # between two key presses: longer than the tap debounce, a deliberate press

_fonts: FontBook | None = None


def fonts() -> FontBook:
    """The CJK fonts, loaded once per process (every harness shares them)."""
    global _fonts
    if _fonts is None:
        _fonts = FontBook(*find_cjk_faces())
    return _fonts


class FrameClock:
    """Flip timestamps (``time.perf_counter``) of one app, and a way to wait for the next."""

    def __init__(self) -> None:
        self.count = 0
        self.last = 0.0
        self._cond = threading.Condition()
        self.hook: Callable[[float], None] | None = None

    def __call__(self, at: float) -> None:
        if self.hook is not None:
            self.hook(at)
        with self._cond:
            self.count += 1
            self.last = at
            self._cond.notify_all()

    def wait_beyond(self, count: int, timeout: float) -> bool:
        """Wait until more than ``count`` frames were flipped; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self.count > count, timeout)


class Harness:
    """One kiosk to drive. Call :meth:`close` at the end.

    The screens ask the real flows (:attr:`flows`) over ``hub_client``: a
    fresh :class:`FakeHub` for each app unless one is given (kept across
    apps, and closed by :meth:`close`); ``offline`` keeps the catalogue and
    guides as a kiosk does. ``devices``, ``recorder`` and ``ui`` replace the
    fakes (the end-to-end tests pass the simulated device hub and its queue).
    """

    def __init__(
        self,
        config: KioskConfig | None = None,
        *,
        window: tuple[int, int] | None = None,
        screens: ScreenSet = SCREENS,
        live: bool = False,
        speech: Speech | None = None,
        hub_client: HubClient | None = None,
        offline: OfflineCache | None = None,
        devices: Devices | None = None,
        recorder: Recorder | None = None,
        ui: UiQueue | None = None,
        held_tasks: bool = True,
        trace_text: bool = False,
        today: Callable[[], date] = lambda: HEADLESS_TODAY,
        signing_key: TerminalKey | None = None,
    ) -> None:
        self.config = config or KioskConfig()
        self.screens = screens
        self.live = live
        self._hub_client = hub_client
        self.hub_client: HubClient | None = hub_client
        self._offline = offline
        self._devices = devices
        self._recorder = recorder
        self._ui = ui
        self._held_tasks = held_tasks
        self._today = today
        # The key the flows sign card evidence with: the caller's (registered with
        # its real hub), else the fake hub's own.
        self._signing_key = signing_key
        self.frames = FrameClock()
        self.terminal: Terminal | None = None
        if live:
            self._build_live(window, speech)
            return
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
        pygame.display.init()
        size = window or HEADLESS_WINDOW
        display = pygame.display.set_mode(size)
        self.surface: pygame.Surface = display
        self.text: TextRenderer = TextRenderer(fonts())
        if trace_text:
            traced, traced_surface = TracingTextRenderer(fonts()), TextTracingSurface(size)
            traced_surface.renderer = traced
            self.surface, self.text = traced_surface, traced
        self.new_app()

    @classmethod
    def create(
        cls,
        config_path: Path | None = None,
        window: tuple[int, int] = AUDIT_WINDOW,
        *,
        config: KioskConfig | None = None,
        hub_client: HubClient | None = None,
        **session_overrides: Any,
    ) -> Harness:
        """The audit's kiosk: ``config`` or the one at ``config_path`` (default
        config/kiosk.toml), the real hub in-process, a 1080p panel, text traced;
        ``session_overrides`` replace ``[session]`` keys."""
        config = config or load_config(config_path or DEFAULT_CONFIG)
        if session_overrides:
            session = config.session.model_copy(update=session_overrides)
            config = config.model_copy(update={"session": session})
        return cls(
            config,
            window=window,
            hub_client=hub_client or SampleHubClient(service_point=config.terminal.service_point),
            trace_text=True,
            today=lambda: AUDIT_TODAY,
        )

    def new_app(self) -> None:
        """A fresh app, clock, tasks, devices, recorder and speech (fonts and hub are kept)."""
        if self.live:
            raise RuntimeError("a live terminal is built once; start another harness")
        config = self.config
        reset = getattr(self._hub_client, "reset", None)
        if reset is not None:
            reset()  # the hub forgets the previous visit too
        self.clock: Callable[[], float] = FakeClock()
        self.ui = self._ui or UiQueue()
        self.tasks: TaskRunner = HeldTasks(self.ui) if self._held_tasks else TaskRunner(self.ui)
        self.devices: Any = self._devices if self._devices is not None else FakeDevices()
        self.recorder: Any = self._recorder if self._recorder is not None else RecordingRecorder()
        self.speech: Any = NullSpeech()
        self.speech.start()
        self.voice = VoiceGuide(self.speech, config.speech.rate_cpm)
        hub = self.hub_client = self._hub_client or FakeHub()
        key = self._signing_key or getattr(hub, "signing_key", None)
        self.flows = Flows.over(
            hub,
            service_point=config.terminal.service_point,
            offline=self._offline,
            signing_key=lambda: key,
        )
        self.text.clear()
        self.app = App(
            config=config,
            screens=self.screens,
            surface=self.surface,
            tr=Translator(config.ui.language),
            text=self.text,
            voice=self.voice,
            flows=self.flows,
            devices=self.devices,
            recorder=self.recorder,
            ui=self.ui,
            tasks=self.tasks,
            clock=self.clock,
            today=self._today,
        )
        self.app.step()  # the attract screen is drawn, as on a kiosk at start

    def _build_live(self, window: tuple[int, int] | None, speech: Speech | None) -> None:
        terminal = self.terminal = Terminal(
            self.config, screens=self.screens, window=window, speech=speech
        )
        try:
            app = self.app = terminal.build()
        except BaseException:
            terminal.close()
            raise
        app.display.on_frame = self.frames
        app.draw()
        self.clock = app.clock
        self.ui, self.tasks, self.surface, self.text = app.ui, app.tasks, app.surface, app.text
        self.devices, self.recorder, self.voice = terminal.devices, app.recorder, app.voice
        self.speech, self.flows = app.voice.speech, app.flows

    # --- driving -------------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move the fake clock (a live terminal's clock is real: nothing happens)."""
        if isinstance(self.clock, FakeClock):
            self.clock.advance(seconds)

    def settle(self, max_rounds: int = 20, timeout: float = 10.0) -> None:
        """Step the app until no task or posted callback is left.

        Held tasks run here (bounded by ``max_rounds``); with real task threads
        this waits for them, raising AssertionError after ``timeout`` seconds.
        """
        tasks = self.tasks
        if isinstance(tasks, HeldTasks):
            for _ in range(max_rounds):
                self.app.step()
                if not tasks.run_pending() and self.ui.empty():
                    break
            self.app.step()
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.app.step()
            if not tasks.busy and self.ui.empty():
                self.app.step()
                return
            time.sleep(0.002)
        raise AssertionError(f"the app did not settle on {self.app.screen.name}")

    def run_loop(self, until: Callable[[], object], max_s: float) -> bool:
        """The app's own paced loop (as ``App.run_forever``) until ``until()``;
        False if ``max_s`` seconds passed first."""
        deadline = time.monotonic() + max_s
        while not until():
            if time.monotonic() > deadline:
                return False
            self.app.step()
            self.app.wait()
        return True

    def key(self, key: int, unicode: str = "") -> None:
        """Press a key (the app acts on KEYDOWN), then settle."""
        pygame.event.post(
            pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode=unicode, scancode=0)
        )
        self.advance(KEY_GAP_S)
        self.settle()

    def press(self, *keys: int) -> None:
        for key in keys:
            self.key(key)

    def tap(self, pos: tuple[int, int], hold_s: float = 0.1) -> None:
        """Finger down and up at ``pos``; the action happens on finger-up."""
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1))
        self.app.step()
        self.advance(hold_s)
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1))
        self.settle()

    def button(self, name: str) -> Any:
        """The on-screen button (option or chrome) called ``name``; raises KeyError."""
        self.app.display.request_redraw()
        self.app.step()
        screen = self.app.screen
        for b in screen.buttons + screen.chrome:
            if b.name == name:
                return b
        names = [b.name for b in screen.buttons + screen.chrome]
        raise KeyError(f"no button {name!r} on {screen.name}; have {names}")

    def tap_button(self, name: str) -> None:
        self.advance(KEY_GAP_S)
        self.tap(self.button(name).rect.center)

    def place_card(self, identity: Identity | None = None) -> Identity:
        """The ID-card reader read a card (posted as the device hub posts it)."""
        identity = identity or sample_identity()
        self.ui.post(self.app.events.on_identity, identity)
        self.settle()
        return identity

    def spoken_since(self, mark: int) -> list[str]:
        return list(self.speech.said[mark:])

    def close(self) -> None:
        if self.terminal is not None:
            self.terminal.close()
            return
        self.tasks.shutdown()
        self.speech.close()
        if self.hub_client is not None:
            self.hub_client.close()

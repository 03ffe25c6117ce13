"""The app: the loop, and the wiring of the controllers it is made of.

One thread runs :meth:`App.step` in a loop that sleeps until input arrives
(:mod:`kiosk.ui.pacing`): it handles input, runs callbacks posted by
drivers and tasks, runs the timers and redraws only when something changed
(an idle kiosk draws nothing and wakes once a second, bench/idle_cpu.py).
Everything slow happens on the task runner.

What the kiosk does is in the controllers of :mod:`kiosk.core` (screen
stack, modes, session lifecycle, service state, device events, speech,
rendering), wired here. Screens never see the app: each gets the narrow
:class:`~kiosk.ui.ScreenContext` built here. The screens themselves come
from the :class:`~kiosk.ui.ScreenSet` the entry point hands in, so
``kiosk/`` never imports ``screens/``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pygame

from drivers.errors import DeviceError
from kiosk.chrome import ChromeActions
from kiosk.config import KioskConfig
from kiosk.core import (
    DeviceEvents,
    Display,
    LocalClock,
    ModesController,
    Navigator,
    Renderer,
    ScreenDevices,
    ScreenTasks,
    ServiceState,
    SessionLifecycle,
    Speaker,
    Themes,
)
from kiosk.errors import words_for
from kiosk.events import UiQueue
from kiosk.fault_log import FaultLog
from kiosk.flows import Flows
from kiosk.i18n import Translator
from kiosk.input import InputRouter
from kiosk.ports import Devices, Recorder
from kiosk.session import Modes, Session
from kiosk.tasks import TaskRunner
from kiosk.ui import Screen, ScreenContext, ScreenSet, TerminalInfo
from kiosk.ui.pacing import InputWait
from kiosk.ui.text import TextRenderer
from kiosk.voice import VoiceGuide
from protocol.events import EventKind

log = logging.getLogger(__name__)

# Between passes the loop sleeps until input arrives or a callback is posted
# (kiosk/ui/pacing.py, kiosk.runtime.WakingUiQueue), or these timeouts pass for
# the timers (session countdowns; the attract screen's rotation every few seconds).
ACTIVE_WAIT_MS = 8  # in a session: animations and countdowns at up to 120 Hz
IDLE_WAIT_MS = 1000  # attract screen: one wake-up a second when nothing happens


class App:
    """The terminal's UI. Built by :class:`kiosk.runtime.Terminal` (or the headless
    harness, tools/headless); the controllers are its public attributes:
    ``nav``, ``modes``, ``lifecycle``, ``service``, ``events``, ``speaker``,
    ``renderer`` and ``display``; ``ctx`` is what screens get."""

    def __init__(
        self,
        *,
        config: KioskConfig,
        screens: ScreenSet,
        surface: pygame.Surface,
        tr: Translator,
        text: TextRenderer,
        voice: VoiceGuide,
        flows: Flows,
        devices: Devices,
        recorder: Recorder,
        ui: UiQueue,
        tasks: TaskRunner,
        clock: Callable[[], float] = time.monotonic,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.config = config
        self.surface = surface
        self.tr = tr
        self.text = text
        self.voice = voice
        self.flows = flows
        self.devices = devices
        self.recorder = recorder
        self.ui = ui
        self.tasks = tasks
        self.clock = clock
        self.running = True
        self.restart_requested = False
        defaults = Modes(
            high_contrast=config.display.theme == "high_contrast", language=config.ui.language
        )
        session = self.session = Session(
            default_modes=defaults, default_rate_cpm=config.speech.rate_cpm
        )
        session.modes = defaults
        self.faults = FaultLog(recorder, devices)
        self.terminal = TerminalInfo(config.terminal.name, demo=config.devices.simulated)
        display = self.display = Display(surface)
        themes = Themes(config.display.ppi, session)

        # Controllers, each given what it uses. The two links back up the chain (the
        # speaker lays out before reading; a visit's end re-checks the service) are
        # late-bound, as the renderer and the service state are built after them.
        nav = self.nav = Navigator(screens, session, recorder, display)
        speaker = self.speaker = Speaker(
            voice,
            session,
            tr,
            nav,
            layout=lambda: self.renderer.layout(),  # noqa: PLW0108 - late-bound
        )
        lifecycle = self.lifecycle = SessionLifecycle(
            config.session,
            session,
            clock=clock,
            recorder=recorder,
            tasks=tasks,
            text=text,
            tr=tr,
            nav=nav,
            voice=speaker,
            display=display,
            check_service=lambda: self.service.check(),  # noqa: PLW0108 - late-bound
            close_person=flows.person.close,
        )
        local_clock = LocalClock(config.terminal.timezone, today)
        self.service = ServiceState(
            session,
            devices,
            recorder,
            nav=nav,
            lifecycle=lifecycle,
            terminal=self.terminal,
            clock=clock,
            local_now=local_clock.local_now,
        )
        modes = self.modes = ModesController(
            config,
            session,
            tr=tr,
            guide=voice,
            themes=themes,
            nav=nav,
            voice=speaker,
            begin_session=lifecycle.begin,
        )
        self.events = DeviceEvents(
            session,
            clock=clock,
            tr=tr,
            nav=nav,
            lifecycle=lifecycle,
            service=self.service,
            voice=speaker,
            faults=self.faults,
            display=display,
        )
        self.renderer = Renderer(
            display,
            text=text,
            tr=tr,
            session=session,
            nav=nav,
            themes=themes,
            chrome=ChromeActions(  # every tap is echoed in voice mode (accessibility.md §5)
                back=speaker.echoed("返回", nav.back),
                home=speaker.echoed("首页", nav.home),
                toggle_elder=modes.toggle_elder,
                toggle_voice=modes.toggle_voice,
                call_staff=speaker.echoed("呼叫工作人员", lifecycle.call_staff),
            ),
            warning_seconds_left=lifecycle.seconds_left,
            keep_going=lifecycle.keep_going,
        )
        self.ctx = ScreenContext(
            tr=tr,
            text=text,
            session=session,
            nav=nav,
            voice=speaker,
            modes=modes,
            tasks=ScreenTasks(tasks),
            devices=ScreenDevices(
                devices, session, recorder=recorder, runner=tasks, faults=self.faults
            ),
            clock=local_clock,
            terminal=self.terminal,
            flows=flows,
            record=recorder.record,
            error_message=lambda exc: words_for(exc, tr),
            request_redraw=display.request_redraw,
            current_theme=themes.current,
        )
        nav.open(self.ctx, end_session=lifecycle.end)
        self.pygame_clock = pygame.time.Clock()
        self._wait = InputWait(self.pygame_clock)
        self.input = InputRouter(
            session,
            clock=clock,
            nav=nav,
            lifecycle=lifecycle,
            modes=modes,
            voice=speaker,
            display=display,
            demo_key=devices.demo_key,
            debounce_s=config.session.tap_debounce_ms / 1000,
            quit=self.stop,
        )
        # Synthesised in the background now, so the first words of a voice session and
        # every echo start at once (the titles come from the screen set at start).
        voice.speech.prewarm(speaker.spoken_prompts(screens.prewarm))

    @property
    def screen(self) -> Screen:
        """The screen shown now."""
        return self.nav.screen

    # --- the loop ------------------------------------------------------------------------------

    def run_forever(self, watchdog: Callable[[], None] | None = None) -> None:
        self.nav.enter()
        while self.running:
            self.step()
            if watchdog is not None:
                watchdog()
            self.wait()

    def wait(self) -> None:
        """Sleep until input arrives, or until results and timers need another pass."""
        self._wait(ACTIVE_WAIT_MS if self.session.serving else IDLE_WAIT_MS)

    def step(self) -> None:
        """One iteration: input, posted callbacks, timers, and a redraw if needed.

        This is the supervision point (STYLE.md): an error in a screen or a
        callback is logged and told to the person; the kiosk keeps running.
        """
        for event in pygame.event.get():
            self._supervised(self.input.handle, event)
        while not self.ui.empty():
            self._supervised(self.ui.drain, 1)
            self.display.dirty = True
        self._supervised(self.lifecycle.tick)
        self._supervised(self.service.tick)  # an announcement's time may be over
        if self.display.dirty:
            self.draw()

    def _supervised(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except DeviceError as exc:
            log.warning("device error reached the loop: %s", exc)
            self.events.on_device_error(exc)
        except Exception:
            log.exception("unhandled error in the app loop")
            self.recorder.event(EventKind.APP_ERROR, {"screen": self.screen.name})
            if self.session.serving:
                self.screen.show_notice(self.ctx.error_message(RuntimeError()), "error")

    def draw(self) -> None:
        """Draw the frame now (also for a screenshot) and flip it."""
        self.renderer.draw()

    def stop(self) -> None:
        """Leave the loop (the window was closed)."""
        self.running = False

    def request_restart(self) -> None:
        """Leave the loop; main.py starts the process again (systemd does in production)."""
        self.restart_requested = True
        self.running = False

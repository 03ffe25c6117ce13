"""The app loop: owns pygame, the session and the current screen.

One thread runs :meth:`App.step` in a loop that sleeps until input arrives
(:mod:`kiosk.ui.pacing`): it handles input, runs callbacks posted by
drivers and tasks, checks the session timers and redraws only when
something changed (an idle kiosk draws nothing and wakes once a second,
bench/idle_cpu.py). Everything slow happens on
the task runner; screens reach devices and the hub only through this
object (the :class:`screens.base.ScreenContext` it implements).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pygame

from drivers.errors import DeviceError
from kiosk.chrome import ChromeActions, build_footer, draw_warning
from kiosk.config import KioskConfig
from kiosk.events import UiQueue
from kiosk.fault_log import FaultLog
from kiosk.i18n import Translator
from kiosk.inactivity import Decision, Inactivity
from kiosk.input import InputRouter
from kiosk.ports import Devices, Recorder
from kiosk.services import HubError, HubUnavailable, ServiceGateway
from kiosk.session import Identity, Modes, Session, SessionState
from kiosk.tasks import TaskRunner
from kiosk.theme import Theme
from kiosk.ui.blocks import TextRun
from kiosk.ui.pacing import InputWait
from kiosk.ui.text import TextRenderer
from kiosk.ui.widgets import Button
from kiosk.voice import VOLUME_STEPS, VoiceGuide
from protocol.events import EventKind
from screens import REGISTRY
from screens.base import Screen

log = logging.getLogger(__name__)

# Between passes the loop sleeps until input arrives or a callback is posted
# (kiosk/ui/pacing.py, kiosk.runtime.WakingUiQueue), or these timeouts pass for
# the timers (session countdowns; the attract screen's rotation every few seconds).
ACTIVE_WAIT_MS = 8  # in a session: animations and countdowns at up to 120 Hz
IDLE_WAIT_MS = 1000  # attract screen: one wake-up a second when nothing happens


class App:
    """The terminal's UI. Create with :func:`kiosk.runtime.build_app`."""

    def __init__(
        self,
        *,
        config: KioskConfig,
        surface: pygame.Surface,
        tr: Translator,
        text: TextRenderer,
        voice: VoiceGuide,
        gateway: ServiceGateway,
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
        self.gateway = gateway
        self.devices = devices
        self.recorder = recorder
        self.ui = ui
        self.tasks = tasks
        self.clock = clock
        self._today = today
        defaults = Modes(
            high_contrast=config.display.theme == "high_contrast", language=config.ui.language
        )
        self.session = Session(default_modes=defaults, default_rate_cpm=config.speech.rate_cpm)
        self.session.modes = defaults
        self.stack: list[Screen] = []
        self.attract: Screen = self._make("attract")
        self._service_screen: Screen = self.attract  # replaced when going out of service
        self.dirty = True
        self.running = True
        self.restart_requested = False
        self._banner: tuple[Screen, Any, float] | None = None
        self.announcement: str | None = None  # pushed by operators, shown on attract
        self.maintenance_message: str | None = None
        self.overlay_runs: list[TextRun] = []
        self.warning_button: Button | None = None
        self._themes: dict[tuple[bool, bool], Theme] = {}
        self.inactivity = Inactivity(config.session)
        self.frames = 0
        self.on_frame: Callable[[float], None] | None = None  # benchmarks: flip timestamps
        self.pygame_clock = pygame.time.Clock()
        self.faults = FaultLog(recorder, devices)
        self._wait = InputWait(self.pygame_clock)
        self.input = InputRouter(self)
        # Synthesised in the background now, so the first words of a voice session and
        # every echo start at once (the titles come from screens.fixed_prompts at start).
        self.voice.speech.prewarm(self.spoken_prompts())

    def spoken_prompts(self) -> list[str]:
        """What voice guidance says the same way every time: the echoes of the chrome, the
        mode and volume messages, and the screens of the first journey with their options."""
        tr = self.tr
        prompts = [
            tr(m)
            for m in (
                "返回",
                "首页",
                "呼叫工作人员",
                "长辈模式已打开",
                "长辈模式已关闭",
                "语音播报已打开",
                "语音播报已关闭",
                "已连接耳机，语音播报已打开",
                "没有这个选项，请重新选择",
                "语速已调整",
            )
        ]
        prompts += [tr.format("音量{step}", step=n + 1) for n in range(VOLUME_STEPS)]
        for name in ("home", "query_menu", "rate", "thanks", "help"):
            if name in REGISTRY:
                prompts += self._make(name).speech()
        return list(dict.fromkeys(prompts))

    # --- ScreenContext -------------------------------------------------------------------------

    @property
    def theme(self) -> Theme:
        modes = self.session.modes
        key = (modes.elder, modes.high_contrast)
        theme = self._themes.get(key)
        if theme is None:
            theme = Theme.build(
                ppi=self.config.display.ppi, elder=modes.elder, high_contrast=modes.high_contrast
            )
            self._themes[key] = theme
        return theme

    @property
    def screen(self) -> Screen:
        if self.session.state is SessionState.OUT_OF_SERVICE:
            return self._service_screen
        return self.stack[-1] if self.stack and self.session.serving else self.attract

    def go(self, name: str, **params: Any) -> None:
        self._leave()
        self.stack.append(self._make(name, **params))
        self._enter()

    def replace(self, name: str, **params: Any) -> None:
        self._leave()
        if self.stack:
            self.stack.pop()
        self.stack.append(self._make(name, **params))
        self._enter()

    def back(self) -> None:
        if len(self.stack) > 1:
            self._leave()
            self.stack.pop()
            self._enter()
        else:
            self.end_session(completed=False)

    def home(self) -> None:
        if not self.session.serving:
            return
        self._leave()
        self.stack = [self._make("home")]
        self._enter()

    def request_redraw(self) -> None:
        self.dirty = True

    def run(
        self,
        work: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        self.tasks.submit(work, on_done, on_error)

    def services(self) -> ServiceGateway:
        return self.gateway

    def print_receipt(
        self, receipt: Any, on_done: Callable[[Any], None], on_error: Callable[[Exception], None]
    ) -> None:
        self.recorder.record("print", {"title": getattr(receipt, "title", "")})

        def done(result: Any) -> None:
            self.session.pages_printed += 1
            on_done(result)

        def failed(exc: Exception) -> None:
            if isinstance(exc, DeviceError):
                self.faults.error(exc, "printer")
            on_error(exc)

        self.tasks.submit(lambda: self.devices.print_receipt(receipt), done, failed)

    def device_available(self, device: str) -> tuple[bool, str]:
        return self.devices.available(device)

    def say(self, text: str) -> None:
        self.voice.alert(text)

    def key_feedback(self, digit: str, masked: bool) -> None:
        """A digit went into an entry field: a tone for a masked field unless the person
        listens privately (headphones), else the digit is spoken in voice mode
        (accessibility.md §5: PINs and masked fields give tones, EN 301 549 §5.1.3.8)."""
        if masked and not self.session.modes.headphones:
            self.voice.tone()
        else:
            self.echo(digit)

    def set_headphones(self, plugged: bool) -> None:
        """Headphones were plugged in or out (the audio jack's event, or the hook below).

        Few kiosk sound cards report jack sensing, so besides this event hook a
        terminal with a fixed private handset is configured to call it at start.
        Plugging in starts a session with voice guidance on (ADA §707 advisory:
        plugging headphones is the discoverable way into speech mode) and lets
        masked digits be spoken; the flag ends with the session like every mode.
        """
        if plugged and not self.session.serving:
            self.begin_session()
        if self.session.serving:
            voice = self.session.modes.voice or plugged
            self.set_modes(headphones=plugged, voice=voice)
            if plugged:
                self.say(self.tr("已连接耳机，语音播报已打开"))
                self.announce(self.screen)

    def sound_levels(self) -> tuple[int, int, int]:
        """(volume step 0-based, number of volume steps, speech rate in 字/分) for display."""
        return self.voice.volume_step, VOLUME_STEPS, self.voice.rate_cpm

    def change_volume(self, delta: int) -> int:
        """One volume step up (+1) or down (-1); says the new step; returns it (0-based)."""
        step = self.voice.change_volume(delta)
        self.say(self.tr.format("音量{step}", step=step + 1))
        return step

    def echo(self, label: str) -> None:
        self.voice.echo(label, self.session.modes.voice)

    def announce(self, screen: Screen) -> None:
        if screen is self.screen:
            self._layout()
            self.voice.announce(screen.speech(), self.session.modes.voice)

    def today(self) -> date:
        return self._today()

    def local_now(self) -> datetime:
        return datetime.now(ZoneInfo(self.config.terminal.timezone))

    def now_text(self) -> str:
        return self.local_now().strftime("%Y-%m-%d %H:%M")

    def record(self, kind: str, data: dict[str, Any]) -> None:
        self.recorder.record(kind, data)

    def cycle_speech_rate(self) -> int:
        return self.voice.cycle_rate()

    @property
    def demo(self) -> bool:
        return self.config.devices.simulated

    @property
    def terminal_name(self) -> str:
        return self.config.terminal.name

    def error_message(self, exc: Exception) -> str:
        """Plain words for the person, for any error a task or driver can raise."""
        if isinstance(exc, DeviceError):
            return self.tr(exc.user_message)
        if isinstance(exc, HubUnavailable):
            return self.tr("暂时无法连接服务中心，请稍后再试或联系工作人员")
        if isinstance(exc, HubError):
            return exc.user_message(self.tr)
        return self.tr("出现了问题，请稍后再试或联系工作人员")

    # --- session -------------------------------------------------------------------------------

    def begin_session(self) -> None:
        now = self.clock()
        self.session.begin(now)
        self.recorder.record("session_start", {"session": self.session.id})
        self.stack = [self._make("home")]
        self._enter()

    def end_session(self, completed: bool) -> None:
        """Wipe everything about the person and return to the attract screen."""
        s = self.session
        if not s.serving:
            return
        s.completed = s.completed or completed
        s.transition(SessionState.ENDING)
        duration = self.clock() - s.started_at
        summary = {
            "session": s.id,
            "service_id": s.service_id,
            "completed": s.completed,
            "duration_s": round(duration, 1),
            "mode_elder": s.modes.elder,
            "mode_voice": s.modes.voice,
            "pages_printed": s.pages_printed,
        }
        try:
            self.recorder.record("session_end", summary)
        except DeviceError:
            log.warning("session end not journaled; wiping anyway")  # the wipe must happen
        self.recorder.event(EventKind.SESSION_SUMMARY, summary)
        self._leave()
        self.tasks.new_generation()  # results for this person are dropped
        s.wipe()
        self.stack = []
        self.voice.reset()
        self.text.clear()
        self.warning_button = None
        self.attract = self._make("attract")
        s.transition(SessionState.ATTRACT)
        self.dirty = True
        self._check_service()  # a fault that waited for this person to finish
        self._enter()

    def set_modes(self, **changes: Any) -> None:
        s = self.session
        old = s.modes
        s.modes = replace(old, **changes)
        if s.modes.language != old.language:
            self.tr.set_language(s.modes.language)
            self.voice.set_language(s.modes.language)
        for screen in [*self.stack, self.attract]:
            screen.refresh()
        self.dirty = True

    def toggle_elder(self) -> None:
        if not self.session.serving:
            self.begin_session()
        elder = not self.session.modes.elder
        voice = self.session.modes.voice or (elder and self.config.speech.voice_in_elder_mode)
        self.set_modes(elder=elder, voice=voice)
        self.say(self.tr("长辈模式已打开") if elder else self.tr("长辈模式已关闭"))
        self.announce(self.screen)

    def toggle_voice(self) -> None:
        if not self.session.serving:
            self.begin_session()
        voice = not self.session.modes.voice
        self.set_modes(voice=voice)
        self.say(self.tr("语音播报已打开") if voice else self.tr("语音播报已关闭"))
        if voice:
            self.announce(self.screen)

    def toggle_contrast(self) -> None:
        if not self.session.serving:
            self.begin_session()
        self.set_modes(high_contrast=not self.session.modes.high_contrast)

    def toggle_language(self) -> None:
        if not self.session.serving:
            self.begin_session()
        self.set_modes(language="en" if self.session.modes.language == "zh_CN" else "zh_CN")
        self.announce(self.screen)

    def call_staff(self) -> None:
        screen = self.screen.name
        self.recorder.record("call_staff", {"screen": screen})
        self.recorder.event(EventKind.CALL_STAFF, {"screen": screen})
        message = self.tr("已呼叫工作人员，请稍候，工作人员马上就到")
        if self.session.state is SessionState.ATTRACT:
            # Called from the attract screen: the person is here now. Start their session
            # first, or the message would vanish with the attract screen it was put on.
            self.begin_session()
        self.show_banner(message, seconds=20)
        self.say(message)

    def show_banner(self, message: str, seconds: float) -> None:
        """Show a short message in the current screen's notice for ``seconds``."""
        screen = self.screen
        screen.show_notice(message, "info", speak=False)
        self._banner = (screen, screen.notice, self.clock() + seconds)
        self.dirty = True

    # --- device and fleet events (posted through UiQueue) --------------------------------------

    def on_identity(self, identity: Identity) -> None:
        if self.session.state is SessionState.OUT_OF_SERVICE:
            identity.wipe()
            return
        if not self.session.serving:
            self.begin_session()
        self.session.touch(self.clock())
        old = self.session.identity
        if old is not None and old is not identity:
            old.wipe()
        self.session.identity = identity
        if not self.screen.on_identity(identity):
            self.show_banner(self.tr("已读取您的证件"), seconds=4)
        self.dirty = True

    def on_payment_code(self, code: Any) -> None:
        """A payment code was scanned: only a screen waiting for one may use it."""
        if self.session.serving:
            self.session.touch(self.clock())
            if not self.screen.on_payment_code(code):
                self.say(self.tr("现在不需要扫码"))

    def on_device_error(self, exc: DeviceError) -> None:
        self.faults.error(exc)
        if not self.session.serving:
            return  # nobody to tell; the health report reaches operators
        message = self.error_message(exc)
        self.screen.show_notice(message, "error")

    def on_health_changed(self) -> None:
        """Device health changed: journal a new fault, re-check what can be served."""
        self.faults.health_changed()
        if self.maintenance_message is None:
            self._check_service()
        for screen in [*self.stack, self.attract]:
            screen.refresh()
        self.dirty = True

    def request_restart(self) -> None:
        """Leave the loop; main.py starts the process again (systemd does in production)."""
        self.restart_requested = True
        self.running = False

    def refresh_all(self) -> None:
        for screen in [*self.stack, self.attract]:
            screen.refresh()
        self.dirty = True

    def set_announcement(self, text: str | None) -> None:
        self.announcement = text
        self.attract = self._make("attract")
        self.dirty = True

    def set_default_volume(self, step: int) -> None:
        if not 0 <= step <= 4:
            raise ValueError("volume step must be 0 to 4")
        self.voice.default_volume = step
        if not self.session.serving:
            self.voice.set_volume(step)

    def journal_failed(self, message: str) -> None:
        """The journal cannot be written: nothing more may be done until staff fix it."""
        self.maintenance_message = message
        self._check_service()

    def set_maintenance(self, message: str | None) -> None:
        self.maintenance_message = message
        if message is not None and self.session.serving:
            self.end_session(completed=False)
        self._check_service()

    def _check_service(self) -> None:
        reason = self.maintenance_message or self.devices.out_of_service_reason()
        s = self.session
        if reason is not None:
            if s.serving:
                return  # let the person finish; checked again at session end
            if s.state is not SessionState.OUT_OF_SERVICE:
                s.transition(SessionState.OUT_OF_SERVICE)
            self._service_screen = self._make("out_of_service", reason=reason)
            self.recorder.event(EventKind.OUT_OF_SERVICE, {"reason": reason})
            self.dirty = True
        elif s.state is SessionState.OUT_OF_SERVICE:
            s.transition(SessionState.ATTRACT)
            self.attract = self._make("attract")
            self.dirty = True

    # --- the loop ------------------------------------------------------------------------------

    def run_forever(self, watchdog: Callable[[], None] | None = None) -> None:
        self._enter()
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
            self.dirty = True
        self._supervised(self._timers)
        if self.dirty:
            self.draw()

    def _supervised(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except DeviceError as exc:
            log.warning("device error reached the loop: %s", exc)
            self.on_device_error(exc)
        except Exception:
            log.exception("unhandled error in the app loop")
            self.recorder.event(EventKind.APP_ERROR, {"screen": self.screen.name})
            if self.session.serving:
                self.screen.show_notice(self.error_message(RuntimeError()), "error")

    def draw(self) -> None:
        self._layout()
        screen = self.screen
        screen.draw(self.surface)
        self.overlay_runs = []
        self.warning_button = None
        if self.session.state is SessionState.WARNING:
            self.warning_button = draw_warning(
                self.surface,
                theme=self.theme,
                text=self.text,
                tr=self.tr,
                seconds_left=self._seconds_left(),
                on_continue=self.keep_going,
                runs=self.overlay_runs,
            )
        pygame.display.flip()
        self.frames += 1
        self.dirty = False
        if self.on_frame is not None:
            self.on_frame(time.perf_counter())

    def _layout(self) -> None:
        screen = self.screen
        modes = self.session.modes
        footer = build_footer(
            size=self.surface.get_size(),
            theme=self.theme,
            text=self.text,
            tr=self.tr,
            actions=ChromeActions(  # every tap is echoed in voice mode (accessibility.md §5)
                self._echoed("返回", self.back),
                self._echoed("首页", self.home),
                self.toggle_elder,
                self.toggle_voice,
                self._echoed("呼叫工作人员", self.call_staff),
            ),
            show_back=screen.chrome_back and self.session.serving,
            show_home=screen.chrome_home and self.session.serving and len(self.stack) > 1,
            show_modes=screen.mode_switches,
            elder_on=modes.elder,
            voice_on=modes.voice,
        )
        if [b.name for b in footer] != [b.name for b in screen.chrome] or any(
            a.label != b.label or a.rect != b.rect
            for a, b in zip(footer, screen.chrome, strict=False)
        ):
            screen.refresh()
        screen.layout(self.surface.get_size(), footer)

    def _echoed(self, msgid: str, action: Callable[[], None]) -> Callable[[], None]:
        def act() -> None:
            self.echo(self.tr(msgid))
            action()

        return act

    # --- input (routed by kiosk/input.py) --------------------------------------------------------

    def repeat(self) -> None:
        """Read the screen as it is now (a finished print changes its options), not the
        words said when it appeared; heard even with voice guidance off."""
        self._layout()
        self.voice.announce(self.screen.speech(), voice_on=True)

    def next_speech_rate(self) -> None:
        self.voice.cycle_rate()
        self.say(self.tr("语速已调整"))

    def keep_going(self) -> None:
        """The person answered the inactivity warning."""
        self.session.touch(self.clock())
        self.warning_button = None
        self.say(self.tr("好的，请继续办理"))
        self.dirty = True

    # --- timers --------------------------------------------------------------------------------

    def _seconds_left(self) -> int:
        return self.inactivity.seconds_left(self.session, self.clock())

    def _timers(self) -> None:
        now = self.clock()
        if self._banner is not None and now >= self._banner[2]:
            screen, notice, _ = self._banner
            self._banner = None
            if screen.notice is notice:
                screen.notice = None
                screen.refresh()
        if self.screen.tick(now):
            self.dirty = True
        decision = self.inactivity.check(self.session, now, busy=self.tasks.busy)
        if decision is Decision.WARN:
            _, answer = self.inactivity.limits(self.session.modes)
            self.say(
                self.tr.format(
                    "您还在办理吗？如需继续，请按任意键或触摸屏幕。{seconds}秒后将退出",
                    seconds=answer,
                )
            )
            self.dirty = True
        elif decision is Decision.END:
            self.say(self.tr("已退出，您的信息已清除"))
            self.end_session(completed=False)
        elif decision is Decision.COUNTDOWN:
            self.dirty = True  # the countdown changes once a second

    # --- screens -------------------------------------------------------------------------------

    def _make(self, name: str, **params: Any) -> Screen:
        return REGISTRY[name](self, **params)

    def _leave(self) -> None:
        if self.session.serving and self.stack:
            self.stack[-1].on_leave()

    def _enter(self) -> None:
        screen = self.screen
        screen.on_enter()
        self.recorder.screen_changed(screen.name)
        self.dirty = True
        self.announce(screen)

    # --- fleet agent host ----------------------------------------------------------------------

    def personal_data_on_screen(self) -> bool:
        return self.session.serving and (self.screen.personal or self.session.identity is not None)

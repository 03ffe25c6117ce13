"""Wires the terminal's parts from its config: ordered start, reverse shutdown.

Start order is chosen for a fast first frame: the window and the attract
screen come up first; the embedded hub, devices and speech start right
after, off the UI thread where they can (the attract screen needs none of
them). Shutdown closes everything in reverse (mopidy's pattern, STYLE.md).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drivers.speech import Speech
from kiosk.app import App
from kiosk.config import KioskConfig
from kiosk.devices import DeviceHub
from kiosk.embedded_hub import EmbeddedHub
from kiosk.events import UiQueue
from kiosk.flows import Flows, OfflineCache
from kiosk.flows.payment_recovery import start_recovery
from kiosk.hub_client import HubClient, HubError, HubUnavailable
from kiosk.i18n import Translator
from kiosk.journal import Journal, JournalError
from kiosk.recording import Recorder
from kiosk.tasks import TaskRunner
from kiosk.ui import ScreenSet
from kiosk.ui.pacing import wake
from kiosk.ui.text import TextRenderer
from kiosk.voice import VoiceGuide
from protocol.events import EventKind

log = logging.getLogger(__name__)


def drop_truncated_pickles(directory: Path) -> None:
    """Remove python-escpos's capabilities pickles that a kill cut short.

    python-escpos writes its pickle in place, not atomically: a kiosk killed while
    writing it (the start-up timeout, a power cut) left a truncated file, and every
    later start died at ``pickle.load`` (EOFError), a crash loop the boot test found.
    A complete pickle ends with the STOP opcode; one that does not is removed and
    python-escpos writes it again from its YAML.
    """
    for path in directory.glob("*.capabilities.pickle"):
        try:
            with path.open("rb") as f:
                f.seek(-1, os.SEEK_END)
                complete = f.read(1) == b"."
        except OSError:  # empty (seek before the start) or unreadable
            complete = False
        if not complete:
            log.warning("removing a truncated printer capabilities cache: %s", path.name)
            path.unlink(missing_ok=True)


REPO_ROOT = Path(__file__).resolve().parent.parent
ENROLMENT_WAIT_S = 10.0
HUB_OFFER_RETRY_S = 15.0  # asking for the hub's terminal settings again until it answers


class WakingUiQueue(UiQueue):
    """Posts also wake the app loop from its wait (kiosk/ui/pacing.py): the idle
    loop sleeps up to a second, yet a card read or a task's result shows at once."""

    def post(self, fn: Callable[..., None], *args: Any) -> None:
        super().post(fn, *args)
        wake()


class Terminal:
    """Everything one kiosk runs, built from its config, showing ``screens`` (the
    entry point hands them in: ``kiosk/`` never imports ``screens/``)."""

    def __init__(
        self,
        config: KioskConfig,
        *,
        screens: ScreenSet,
        window: tuple[int, int] | None = None,
        speech: Speech | None = None,
        config_path: Path | None = None,
    ) -> None:
        self.config = config
        self.screens = screens
        self.window = window
        self._closers: list[Callable[[], None]] = []
        self._speech_override = speech
        self.config_path = config_path
        self.app: App | None = None
        self.devices: DeviceHub | None = None
        self.hub: EmbeddedHub | None = None
        self.agent: Any = None
        self._credential: Any = None
        self._key: Any = None
        self._journal_problem: str | None = None
        self.flows: Flows | None = None
        self._stopping = threading.Event()  # background retries end with the terminal
        self._closers.append(self._stopping.set)

    def build(self) -> App:
        """Open the window and every part; returns with the attract screen on the display.

        The attract screen is flipped as soon as the app exists, before the
        journal check, devices, speech and fleet agent start: a profile of
        the start-up (bench/cold_start.py) showed them costing more than
        everything before the first frame (python-escpos alone imports in
        ~0.3 s), and the attract screen needs none of them.
        """
        import pygame

        from kiosk.ui.fonts import FontBook, find_cjk_faces

        cfg = self.config
        faces = find_cjk_faces()  # fails before a window opens: the message reaches the console
        # Without a GPU, SDL's default probes Mesa's software GL: +110 MiB and
        # +350 ms at start, 18 ms flips (specs/rendering.md). Not on Wayland: SDL2
        # has no software framebuffer there, the window surface must be a GL texture
        # (the kiosk unit names the renderer, issue 17).
        if os.environ.get("SDL_VIDEODRIVER") != "wayland":
            os.environ.setdefault("SDL_FRAMEBUFFER_ACCELERATION", "0")
        pygame.display.init()
        pygame.display.set_caption("惠民自助服务终端 Huimin")
        if self.window is not None:
            surface = pygame.display.set_mode(self.window)
        elif cfg.display.fullscreen:
            surface = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
            pygame.mouse.set_visible(False)  # a touch kiosk shows no pointer
        else:
            surface = pygame.display.set_mode((1280, 800))
        tr = Translator(cfg.ui.language)
        text = TextRenderer(FontBook(*faces))
        ui = WakingUiQueue()
        tasks = TaskRunner(ui)
        self._closers.append(tasks.shutdown)

        base_url = self._hub_url()
        client = HubClient(
            base_url, token=self._token, ca_file=cfg.hub.ca_file, timeout_s=cfg.hub.timeout_s
        )
        self._closers.append(client.close)
        flows = self.flows = Flows.over(
            client,
            service_point=cfg.terminal.service_point,
            offline=OfflineCache(cfg.hub.offline_cache_dir),
            signing_key=self._signing_key,
        )

        devices = DeviceHub(cfg.devices, ui)
        self.devices = devices
        speech = self._speech_override or self._make_speech(devices)
        voice = VoiceGuide(speech, cfg.speech.rate_cpm)
        journal = self._open_journal()
        recorder = Recorder(journal)
        app = App(
            config=cfg,
            screens=self.screens,
            surface=surface,
            tr=tr,
            text=text,
            voice=voice,
            flows=flows,
            devices=devices,
            recorder=recorder,
            ui=ui,
            tasks=tasks,
        )
        self.app = app
        app.draw()
        recorder.on_journal_failure = lambda message: ui.post(app.service.journal_failed, message)
        # python-escpos parses its capabilities YAML at import (~150 ms) unless it
        # finds its pickle, which it keeps in a new temporary directory per process
        # by default: a fresh parse on every start and a /tmp directory left behind.
        escpos_cache = cfg.speech.cache_dir.parent / "escpos-capabilities"
        escpos_cache.mkdir(parents=True, exist_ok=True)
        drop_truncated_pickles(escpos_cache)
        os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(escpos_cache))
        if journal is not None:
            self._check_journal(journal, recorder, app)
            # Orders a crash left open end now, not only by the hub's sweep (DESIGN §6).
            self._closers.append(start_recovery(flows.payments, journal.records, recorder.record))
        else:
            app.service.journal_failed(JournalError.user_message)
        devices.start(app.events)
        self._closers.append(devices.stop)
        speech.start()
        self._closers.append(speech.close)
        speech.prewarm(self.screens.fixed_prompts(tr))
        self._start_agent(base_url, app, devices, journal, recorder)
        return app

    def _open_journal(self) -> Journal | None:
        cfg = self.config.journal
        try:
            journal = Journal(cfg.path, cfg.quota_mb, cfg.retention_days)
        except JournalError as exc:
            log.error("journal cannot be opened: %s", exc)
            self._journal_problem = str(exc)
            return None
        self._closers.append(journal.close)
        return journal

    def _check_journal(self, journal: Journal, recorder: Recorder, app: App) -> None:
        """Tampering or a torn row is detected at start and reported to the hub."""
        report = journal.verify()
        recorder.event(EventKind.JOURNAL_INTEGRITY, {"ok": report.ok, "detail": report.summary()})
        if not report.ok:
            log.error("journal integrity check failed: %s", report.summary())

    def _start_agent(
        self,
        base_url: Callable[[], str],
        app: App,
        devices: DeviceHub,
        journal: Journal | None,
        recorder: Recorder,
    ) -> None:
        """Enrol and report to the hub, once its address is known (off the UI thread)."""
        from kiosk.agent import AgentConfigError, FleetAgent
        from kiosk.fleet_host import FleetHost

        cfg = self.config
        host = FleetHost(
            app,
            devices,
            config_path=self.config_path,
            journal_backlog=journal.backlog if journal is not None else (lambda: 0),
        )

        def start() -> None:
            try:
                url = base_url()
                agent = FleetAgent(
                    url,
                    cfg.hub.ca_file,
                    cfg.hub.credential_path,
                    cfg.hub.enrolment_code,
                    cfg.terminal.name,
                    {
                        **cfg.terminal.place.model_dump(),
                        "service_point": cfg.terminal.service_point,
                    },
                    host,
                    cfg.hub.heartbeat_interval_s,
                    journal=journal,
                )
            except (TimeoutError, AgentConfigError) as exc:
                log.error("fleet agent not started: %s", exc)
                return
            self.agent = agent
            recorder.agent = agent
            agent.start()
            threading.Thread(target=self._learn_hub_offer, name="hub-offer", daemon=True).start()
            self._keep_guides_offline()
            if self.hub is not None:
                log.info(
                    "运营控制台 / operator console: %s/console (demo login admin / huimin-demo)",
                    url,
                )

        threading.Thread(target=start, name="agent-start", daemon=True).start()
        self._closers.append(self._stop_agent)

    def _learn_hub_offer(self) -> None:
        """Learn what the hub offers terminals (payments on or off) once it can be
        asked; the home screen of the next visit follows it."""
        if self.flows is not None:
            offer = self.flows.hub_offer.refresh_until(self._stopping, HUB_OFFER_RETRY_S)
            if offer is not None:
                log.info("payments here: %s", "on" if offer.payments.enabled else "off")

    def _keep_guides_offline(self) -> None:
        """Fetch every guide once at start, so all can be read if the hub goes away."""
        if self.flows is None:
            return
        try:
            kept = self.flows.catalogue.keep_offline()
        except (HubUnavailable, HubError) as exc:
            log.info("guides not kept for offline use yet: %s", exc)
            return
        log.info("%d guides kept for offline use", kept)

    def _stop_agent(self) -> None:
        if self.agent is not None:
            self.agent.stop()

    def _hub_url(self) -> Callable[[], str]:
        cfg = self.config
        if cfg.hub.url != "embedded":
            url = cfg.hub.url
            return lambda: url
        self.hub = EmbeddedHub(
            REPO_ROOT / cfg.hub.embedded_config,
            cfg.hub.embedded_database_url,
            cfg.hub.embedded_port,
        )
        self.hub.start()
        self._closers.append(self.hub.stop)
        return self.hub.url

    def _token(self) -> str | None:
        """The terminal's credential from enrolment (read once it exists).

        Called on task threads only: right after start the agent may still be
        enrolling, so wait a little for the credential rather than fail.
        """
        from kiosk.agent import CredentialStore

        store = CredentialStore(self.config.hub.credential_path)
        deadline = time.monotonic() + ENROLMENT_WAIT_S
        while self._credential is None:
            self._credential = store.load()
            if self._credential is not None or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        return self._credential.token if self._credential is not None else None

    def _signing_key(self) -> Any:
        """The terminal's signing key, made by the agent beside the credential
        (kiosk.signing); read once it exists."""
        from kiosk.signing import TerminalKey, signing_key_path

        if self._key is None:
            self._key = TerminalKey.load(signing_key_path(self.config.hub.credential_path))
        return self._key

    def _make_speech(self, devices: DeviceHub) -> Speech:
        from drivers.speech import NullSpeech, SpeechService

        cfg = self.config.speech
        on_health = devices.speech_health
        if not cfg.enabled:
            return NullSpeech(cfg.voice, cfg.rate_cpm, on_health=on_health, history=0)
        return SpeechService(cfg.voice, cfg.rate_cpm, cfg.cache_dir, on_health=on_health)

    def close(self) -> None:
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception:
                log.exception("shutdown step failed")

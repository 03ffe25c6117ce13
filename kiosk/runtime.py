"""Wires the terminal's parts from its config: ordered start, reverse shutdown.

Start order is chosen for a fast first frame: the window and the attract
screen come up first; the embedded hub, devices and speech start right
after, off the UI thread where they can (the attract screen needs none of
them). Shutdown closes everything in reverse (mopidy's pattern, STYLE.md).
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from drivers.speech import Speech
from kiosk.app import App
from kiosk.config import KioskConfig
from kiosk.devices import DeviceHub
from kiosk.events import UiQueue
from kiosk.i18n import Translator
from kiosk.recording import Recorder
from kiosk.services import HubClient, ServiceGateway
from kiosk.tasks import TaskRunner
from kiosk.ui.text import TextRenderer
from kiosk.voice import VoiceGuide

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent


class EmbeddedHub:
    """The demo hub as a child process on a free loopback port.

    A separate process, not a thread: the hub is its own deployable, and its
    memory and CPU must not count against the terminal's.
    """

    def __init__(self, config_path: Path, database_url: str, port: int = 0) -> None:
        self.config_path = config_path
        self.database_url = database_url
        self.port = port if port and _port_free(port) else 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._port_file = Path(tempfile.mkdtemp(prefix="huimin-hub-")) / "port"
        self._url: str | None = None

    def start(self) -> None:
        cmd = [
            sys.executable,
            "-m",
            "hub",
            "--config",
            str(self.config_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--database-url",
            self.database_url,
            "--port-file",
            str(self._port_file),
        ]
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
        self._proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env)

    def url(self, timeout: float = 20.0) -> str:
        """The hub's base URL; waits (on a worker thread) until it is listening."""
        if self._url is not None:
            return self._url
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._port_file.exists():
                port = int(self._port_file.read_text())
                self._url = f"http://127.0.0.1:{port}"
                return self._url
            if self._proc is not None and self._proc.poll() is not None:
                raise TimeoutError(f"embedded hub exited with status {self._proc.returncode}")
            time.sleep(0.05)
        raise TimeoutError("embedded hub did not start")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            log.warning("port %d is busy: the embedded hub takes a free port instead", port)
            return False
    return True


class Terminal:
    """Everything one kiosk runs, built from its config."""

    def __init__(
        self,
        config: KioskConfig,
        *,
        window: tuple[int, int] | None = None,
        speech: Speech | None = None,
    ) -> None:
        self.config = config
        self.window = window
        self._closers: list[Callable[[], None]] = []
        self._speech_override = speech
        self.app: App | None = None
        self.devices: DeviceHub | None = None
        self.hub: EmbeddedHub | None = None

    def build(self) -> App:
        """Open the window and every part; the attract screen can be drawn right after."""
        import pygame

        from kiosk.ui.fonts import FontBook, find_cjk_faces

        cfg = self.config
        faces = find_cjk_faces()  # fails before a window opens: the message reaches the console
        # Without a GPU, SDL's default probes Mesa's software GL: +110 MiB and
        # +350 ms at start, 18 ms flips (specs/rendering.md).
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
        ui = UiQueue()
        tasks = TaskRunner(ui)
        self._closers.append(tasks.shutdown)

        base_url = self._hub_url()
        client = HubClient(
            base_url, token=self._token, ca_file=cfg.hub.ca_file, timeout_s=cfg.hub.timeout_s
        )
        gateway = ServiceGateway(
            client, terminal_name=cfg.terminal.name, service_point=cfg.terminal.service_point
        )

        devices = DeviceHub(cfg.devices, ui)
        self.devices = devices
        speech = self._speech_override or self._make_speech(devices)
        voice = VoiceGuide(speech, cfg.speech.rate_cpm)
        recorder = Recorder()
        app = App(
            config=cfg,
            surface=surface,
            tr=tr,
            text=text,
            voice=voice,
            gateway=gateway,
            devices=devices,
            recorder=recorder,
            ui=ui,
            tasks=tasks,
        )
        self.app = app
        devices.start(app)
        self._closers.append(devices.stop)
        speech.start()
        self._closers.append(speech.close)
        return app

    def _hub_url(self) -> Callable[[], str]:
        cfg = self.config
        if cfg.hub.url != "embedded":
            url = cfg.hub.url
            return lambda: url
        self.hub = EmbeddedHub(
            REPO_ROOT / cfg.hub.embedded_config, cfg.hub.embedded_database_url, cfg.hub.embedded_port
        )
        self.hub.start()
        self._closers.append(self.hub.stop)
        return self.hub.url

    def _token(self) -> str | None:
        return None

    def _make_speech(self, devices: DeviceHub) -> Speech:
        from drivers.speech import NullSpeech, SpeechService

        cfg = self.config.speech
        on_health = devices.speech_health
        if not cfg.enabled:
            return NullSpeech(cfg.voice, cfg.rate_cpm, on_health=on_health)
        return SpeechService(cfg.voice, cfg.rate_cpm, cfg.cache_dir, on_health=on_health)

    def close(self) -> None:
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception:
                log.exception("shutdown step failed")

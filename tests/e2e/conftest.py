"""End-to-end journeys: the real App (SDL dummy video) with the simulated
devices the demo uses (ID-card reader on a pty, smart-card slot, virtual
ESC/POS printer on loopback TCP, scanner on a pty) against a real
``python -m hub`` process, enrolled like a terminal. One hub per test
module keeps the suite quick; every test gets a fresh app and devices.

The app's clock is a fake one the tests advance, so the terminal's waits
(polling every 3 s, the 45 s micropay limit) take no real time; the hub
keeps real time (its sandbox customer pays 4 s after a code is scanned).
"""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pygame
import pytest
import requests

from drivers.sim.escpos_decode import DecodedReceipt, decode
from kiosk.app import App
from kiosk.config import KioskConfig
from kiosk.devices import DeviceHub
from kiosk.events import UiQueue
from kiosk.hub_client import HubClient
from kiosk.signing import TerminalKey
from tools.headless import FakeClock, Harness

REPO = Path(__file__).resolve().parents[2]
SERVICE_POINT = "dbt-zhangzhuang"  # a village service point in config/catalogue.json
TERMINAL_NAME = "张庄村便民服务站-E2E"
DEMO_ENROL_CODE = "DEMO-ENROL"


@dataclass
class HubProcess:
    url: str
    token: str
    proc: subprocess.Popen[bytes]
    key: TerminalKey
    """The terminal's signing key, registered at enrolment (person sessions)."""

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, timeout=5)


def _start_hub(tmp: Path, extra_args: Sequence[str] = ()) -> HubProcess:
    """``python -m hub`` on a free port (``extra_args``: e.g. ``--config``, ``--port``)."""
    port_file = tmp / "port"
    cmd = [
        sys.executable,
        "-m",
        "hub",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--port-file",
        str(port_file),
        "--database-url",
        f"sqlite:///{tmp / 'hub.db'}",
        *extra_args,
    ]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    log = (tmp / "hub.log").open("wb")
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    url = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"hub exited: {(tmp / 'hub.log').read_text()[-2000:]}")
        if port_file.exists() and not url:
            url = f"http://127.0.0.1:{int(port_file.read_text())}"
        if url:
            try:
                if requests.get(url + "/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
        time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("hub did not start within 30 s")
    key = TerminalKey.load_or_create(tmp / "signing-key.pem")
    resp = requests.post(
        url + "/api/v1/terminal/enrol",
        json={
            "code": DEMO_ENROL_CODE,
            "name": TERMINAL_NAME,
            # Queue tickets are issued only at the terminal's enrolled service point.
            "place": {"county": "兰考县", "service_point": SERVICE_POINT},
            "public_key": key.public_key,
        },
        timeout=10,
    )
    resp.raise_for_status()
    return HubProcess(url, resp.json()["token"], proc, key)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    process = _start_hub(tmp_path_factory.mktemp("hub"))
    try:
        yield process
    finally:
        process.proc.terminate()
        try:
            process.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.proc.kill()


def closed_port_url() -> str:
    """A loopback URL where nothing listens (the hub 'down')."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass
class Kiosk:
    """One terminal under test, with helpers to drive it like a person."""

    app: App
    devices: DeviceHub
    hub: HubProcess
    hub_url: list[str]
    clock: FakeClock
    printed_before: int = 0
    closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def screen(self) -> Any:
        """The current screen, typed loosely: tests read each screen's own attributes."""
        return self.app.screen

    # --- driving -------------------------------------------------------------------------

    def step(self) -> None:
        self.app.step()

    def settle(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.app.step()
            if not self.app.tasks.busy and self.app.ui.empty():
                self.app.step()
                return
            time.sleep(0.005)
        raise AssertionError(f"app did not settle on {self.app.screen.name}")

    def wait_for(self, cond: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.app.step()
            if cond():
                self.settle()
                return
            time.sleep(0.01)
        screen = self.app.screen
        notice = screen.notice.message if screen.notice else ""
        raise AssertionError(f"timed out waiting for {what} on {screen.name} ({notice})")

    def wait_screen(self, name: str, timeout: float = 10.0) -> None:
        self.wait_for(lambda: self.app.screen.name == name, timeout, f"screen {name}")

    def key(self, *keys: int) -> None:
        for k in keys:
            pygame.event.post(
                pygame.event.Event(pygame.KEYDOWN, key=k, mod=0, unicode="", scancode=0)
            )
            self.app.step()
            self.settle()

    def digits(self, text: str) -> None:
        for ch in text:
            self.key(pygame.K_PERIOD if ch == "X" else getattr(pygame, f"K_{ch}"))

    def option_key(self, name: str) -> str:
        opts = {opt.name: (key, opt) for key, opt in self.app.screen.numbered_options()}
        if name not in opts:
            raise AssertionError(f"no option {name!r} on {self.app.screen.name}: {sorted(opts)}")
        key, opt = opts[name]
        assert opt.enabled, f"option {name} is disabled: {opt.reason}"
        return key

    def choose(self, name: str, mode: str = "keypad") -> None:
        """Choose the option ``name`` by its number key, or by touching its button."""
        if mode == "touch":
            self.tap(name)
            return
        key = self.option_key(name)
        self.key(getattr(pygame, f"K_{key}"))

    def choose_in_groups(self, name: str, mode: str = "keypad", limit: int = 8) -> None:
        """Like :meth:`choose`, paging through 下一组 until the option shows."""
        for _ in range(limit):
            names = [o.name for _, o in self.app.screen.numbered_options()]
            if name in names:
                self.choose(name, mode)
                return
            self.choose("next_group", mode)
        raise AssertionError(f"{name} not found in any group on {self.app.screen.name}")

    def tap(self, name: str) -> None:
        self.app.draw()
        screen = self.app.screen
        buttons = {b.name: b for b in screen.buttons + screen.chrome}
        if name not in buttons:
            raise AssertionError(f"no button {name!r} on {screen.name}: {sorted(buttons)}")
        pos = buttons[name].rect.center
        self.clock.advance(1.0)  # beyond the tremor debounce
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=pos, touch=True))
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=pos, touch=True))
        self.app.step()
        self.settle()

    def place_card(self, key: str) -> None:
        """Place a demo citizen's ID card on the simulated reader (read over a pty)."""
        before = self.app.session.identity
        self.devices.place_demo_card(key)
        self.wait_for(
            lambda: (
                self.app.session.identity is not None and self.app.session.identity is not before
            ),
            what="ID card read",
        )

    def scan(self, code: str) -> None:
        """Show a payment code to the simulated scanner (a pty line)."""
        self.devices.sim_scanner.scan(code)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.app.step()

    # --- what came out ----------------------------------------------------------------------

    def receipts(self, count: int, timeout: float = 10.0) -> list[DecodedReceipt]:
        """The decoded print jobs, waiting for at least ``count`` of them."""
        jobs = self.devices.sim_printer.wait_for_jobs(count, timeout)
        assert len(jobs) >= count, f"expected {count} print jobs, got {len(jobs)}"
        return [decode(job) for job in jobs]

    def shown_text(self) -> str:
        """Everything the current screen shows or says (all pages), for assertions."""
        self.app.draw()
        screen = self.app.screen
        parts = [screen.title_text(), screen.instruction_text()]
        parts += [row.spoken for page in screen._pages for row in page]
        parts += [b.label for b in screen.buttons]
        return "\n".join(parts)

    def said(self) -> str:
        return "\n".join(self.app.voice.history)

    def journal(self, kind: str) -> list[dict[str, Any]]:
        return [data for k, data in self.app.recorder.records if k == kind]  # type: ignore[attr-defined]

    def set_hub_down(self, down: bool) -> None:
        self.hub_url[0] = closed_port_url() if down else self.hub.url


def build_kiosk(hub: HubProcess, *, elder: bool = False) -> Kiosk:
    config = KioskConfig.model_validate(
        {"terminal": {"name": TERMINAL_NAME, "service_point": SERVICE_POINT}}
    )
    ui = UiQueue()
    url = [hub.url]
    client = HubClient(lambda: url[0], token=lambda: hub.token, timeout_s=5.0)
    devices = DeviceHub(config.devices, ui)
    # The headless kiosk with the simulated devices, the real hub and real task threads.
    h = Harness(
        config,
        hub_client=client,
        devices=devices,
        ui=ui,
        held_tasks=False,
        today=date.today,
        signing_key=hub.key,
    )
    app = h.app
    devices.start(app.events)
    kiosk = Kiosk(app, devices, hub, url, h.clock, closers=[h.close, devices.stop])
    # The printer's first status answer arrives on a driver thread.
    kiosk.wait_for(lambda: devices.available("printer")[0], what="printer online")
    kiosk.key(pygame.K_RETURN)  # a key starts a session on the attract screen
    assert app.screen.name == "home"
    if elder:
        kiosk.key(pygame.K_F2)
        assert app.session.modes.elder
    return kiosk


@pytest.fixture
def make_kiosk(hub: HubProcess) -> Iterator[Callable[..., Kiosk]]:
    made: list[Kiosk] = []

    def make(**kwargs: Any) -> Kiosk:
        kiosk = build_kiosk(hub, **kwargs)
        made.append(kiosk)
        return kiosk

    yield make
    for kiosk in made:
        for close in reversed(kiosk.closers):
            close()


MakeKiosk = Callable[..., Kiosk]


def assert_few_options(kiosk: Kiosk) -> None:
    """长辈 mode: at most six numbered choices on any screen of a journey (except the keypad)."""
    screen = kiosk.app.screen
    if kiosk.app.session.modes.elder and screen.name != "entry":
        count = len(screen.numbered_options())
        assert count <= 6, f"{screen.name} offers {count} choices in 长辈 mode"

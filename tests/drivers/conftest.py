"""Serial-line fixtures shared by the ID-card and scanner driver tests.

Two real peers: the simulator's own raw pty pair, and a socat pty pair
(``socat pty,raw,echo=0,link=A pty,raw,echo=0,link=B``) with the simulator
attached to end B and the driver on end A, as specs/test-peers.md describes.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from drivers.sim.demo_cards import SimCard, extra_test_cards, load_demo_cards
from drivers.sim.idcard_reader import IdCardSimulator
from drivers.sim.scanner import ScannerSimulator
from tests.tools import require_tool


class SocatPair:
    """A socat virtual null-modem cable between two pty symlinks in a temp dir."""

    def __init__(self, directory: Path) -> None:
        self.a = directory / "ttyA"  # the driver's end
        self.b = directory / "ttyB"  # the simulator's end
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        exe = require_tool("socat")
        self._proc = subprocess.Popen(
            [exe, f"pty,raw,echo=0,link={self.a}", f"pty,raw,echo=0,link={self.b}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 5.0
        while not (self.a.exists() and self.b.exists()):
            if time.monotonic() > deadline or self._proc.poll() is not None:
                self.stop()
                pytest.fail("socat did not create its pty links within 5 s")
            time.sleep(0.01)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(5.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5.0)
        if proc.stderr is not None:
            proc.stderr.close()
        # socat removes its links on SIGTERM; make sure, so "unplugged" is true.
        for link in (self.a, self.b):
            if os.path.lexists(link):
                link.unlink()


@pytest.fixture
def socat_pair(tmp_path: Path) -> Iterator[SocatPair]:
    pair = SocatPair(tmp_path)
    pair.start()
    yield pair
    pair.stop()


@pytest.fixture(params=["openpty", "socat"])
def idcard_line(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[IdCardSimulator, str]]:
    """A started ID-card simulator and the path the driver opens, on both kinds of line."""
    pair: SocatPair | None = None
    if request.param == "socat":
        pair = SocatPair(tmp_path)
        pair.start()
        sim = IdCardSimulator(attach=str(pair.b), link=str(pair.a), slow_delay=1.0)
    else:
        sim = IdCardSimulator(link=str(tmp_path / "idcard"), slow_delay=1.0)
    path = sim.start()
    yield sim, path
    sim.stop()
    if pair is not None:
        pair.stop()


@pytest.fixture(params=["openpty", "socat"])
def scanner_line(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[ScannerSimulator, str]]:
    """A started scanner simulator and the driver's path, on both kinds of line."""
    pair: SocatPair | None = None
    if request.param == "socat":
        pair = SocatPair(tmp_path)
        pair.start()
        sim = ScannerSimulator(attach=str(pair.b), link=str(pair.a))
    else:
        sim = ScannerSimulator(link=str(tmp_path / "scanner"))
    path = sim.start()
    yield sim, path
    sim.stop()
    if pair is not None:
        pair.stop()


@pytest.fixture(scope="session")
def demo_cards() -> dict[str, SimCard]:
    return {c.key: c for c in load_demo_cards()}


@pytest.fixture(scope="session")
def extra_cards() -> dict[str, SimCard]:
    return {c.card.card_type: c for c in extra_test_cards()}


WaitFor = Callable[..., bool]


def _wait_for(predicate: Callable[[], bool], timeout: float = 5.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


@pytest.fixture
def wait_for() -> WaitFor:
    """``wait_for(predicate, timeout=5.0)``: poll until true or the timeout (bounded loop)."""
    return _wait_for

"""Real PC/SC peers for the smart-card tests: pcscd + vsmartcard vpcd + emulated cards.

``pcscd`` starts ``pcscd --foreground`` for the session unless one already
runs (then it is left alone). ``vpcd_card`` inserts an emulated card by
starting ``python -m drivers.sim.vpcd_card`` and removes it by stopping the
process. Only vpcd slot 0 (TCP 35963, "Virtual PCD 00 00") is used.
If pcscd cannot run here the tests FAIL with the reason: these tests are
the only proof the driver works against the real PC/SC stack.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.tools import require_tool

REPO = Path(__file__).resolve().parents[3]
READER = "Virtual PCD 00 00"
VPCD_PORT = 35963
VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
VIRTUALSMARTCARD = (
    "/usr/lib/python3/site-packages/virtualsmartcard/virtualsmartcard/VirtualSmartcard.py"
)
START_TIMEOUT = 15.0
LOCK_FILE = Path(tempfile.gettempdir()) / f"huimin-vpcd-{VPCD_PORT}.lock"
LOCK_TIMEOUT = 300.0


def _reader_state(reader: str) -> tuple[bool, bool]:
    """(reader present, card present) as pcscd sees them right now."""
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return False, False
    try:
        hresult, names = scard.SCardListReaders(context, [])
        name = next((n for n in names if reader in n), None) if hresult == 0 else None
        if name is None:
            return False, False
        hresult, states = scard.SCardGetStatusChange(
            context, 0, [(name, scard.SCARD_STATE_UNAWARE)]
        )
        if hresult != scard.SCARD_S_SUCCESS:
            return True, False
        return True, bool(states[0][1] & scard.SCARD_STATE_PRESENT)
    finally:
        scard.SCardReleaseContext(context)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


class Pcscd:
    """The pcscd this session uses; ``owned`` when the fixture started it."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.owned = False

    def start(self) -> None:
        pcscd = require_tool("pcscd")
        require_tool(VPCD_DRIVER)  # without it pcscd runs but no reader ever appears
        Path("/run/pcscd").mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [pcscd, "--foreground"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self.owned = True
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                pytest.fail(f"pcscd exited with {self.proc.returncode}: {err.strip()}")
            if _reader_state(READER)[0]:
                return
            time.sleep(0.1)
        self.stop()
        pytest.fail(
            f"pcscd started but no reader {READER!r} appeared: is vsmartcard-vpcd installed?"
        )

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
            self.proc = None


@contextlib.contextmanager
def _vpcd_slot_lock(timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Serialise test sessions that share vpcd's one fixed port on this machine
    (several pytest runs may overlap on a shared CI host)."""
    fd = os.open(LOCK_FILE, os.O_CREAT | os.O_RDWR, 0o666)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"another test session held {LOCK_FILE} for over {timeout:.0f} s")
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@pytest.fixture(scope="session")
def pcscd() -> Iterator[Pcscd]:
    with _vpcd_slot_lock():
        daemon = Pcscd()
        if _reader_state(READER)[0]:
            yield daemon  # already running (not ours): use it, never stop it
            return
        daemon.start()
        try:
            yield daemon
        finally:
            daemon.stop()


class CardProcess:
    """One emulated card served through vpcd; ``remove()`` pulls it out."""

    def __init__(self, args: list[str]) -> None:
        self.removed = False
        env = dict(os.environ, PYTHONPATH=str(REPO))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "drivers.sim.vpcd_card", "--port", str(VPCD_PORT), *args],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode().strip()  # bounded: the process exits on error
        if line != "ready":
            self.proc.wait(timeout=10)
            err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
            pytest.fail(f"vpcd card did not start ({self.proc.returncode}): {line} {err.strip()}")
        wait_for(lambda: _reader_state(READER)[1], START_TIMEOUT, f"a card in {READER}")

    def remove(self) -> None:
        if self.removed:
            return
        self.removed = True
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        wait_for(lambda: not _reader_state(READER)[1], START_TIMEOUT, f"{READER} to be empty")


@pytest.fixture
def vpcd_card(pcscd: Pcscd) -> Iterator[Callable[..., CardProcess]]:
    """``vpcd_card("ss", "zhang_xiulan", "--sw-mode", "61xx")`` inserts a card."""
    require_tool(VIRTUALSMARTCARD)  # the card emulation drivers.sim.vpcd_card serves
    started: list[CardProcess] = []

    def insert(card: str, citizen: str = "zhang_xiulan", *extra: str) -> CardProcess:
        process = CardProcess(["--card", card, "--citizen", citizen, *extra])
        started.append(process)
        return process

    yield insert
    for process in reversed(started):
        process.remove()

"""kiosk.watchdog against a fake systemd: an AF_UNIX datagram socket in tmp_path."""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.watchdog import Watchdog

# WATCHDOG_USEC=200 ms → the app pings every 100 ms.
WATCHDOG_USEC = 200_000
INTERVAL_S = WATCHDOG_USEC / 2_000_000


class FakeSystemd:
    """Receives sd_notify datagrams like PID 1 would."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def receive(self, timeout: float) -> list[tuple[float, str]]:
        """Every datagram that arrives within ``timeout`` seconds, with arrival time."""
        got: list[tuple[float, str]] = []
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                break
            got.append((time.monotonic(), data.decode("utf-8")))
        return got

    def drain(self) -> list[str]:
        return [message for _, message in self.receive(0.05)]


@pytest.fixture
def systemd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSystemd]:
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", str(WATCHDOG_USEC))
    try:
        yield FakeSystemd(sock)
    finally:
        sock.close()


def test_no_op_without_notify_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.setenv("WATCHDOG_USEC", str(WATCHDOG_USEC))
    dog = Watchdog()
    assert not dog.enabled
    assert dog.interval is None
    dog.ready()
    dog.ping()
    dog.status("正常")
    dog.stopping()


def test_ready_status_stopping_arrive(systemd: FakeSystemd) -> None:
    dog = Watchdog()
    assert dog.enabled
    assert dog.interval == pytest.approx(INTERVAL_S)
    dog.ready()
    dog.status("服务中：\n打印机缺纸")
    dog.stopping()
    # ready() also feeds the watchdog at once.
    assert systemd.drain() == ["READY=1", "WATCHDOG=1", "STATUS=服务中： 打印机缺纸", "STOPPING=1"]


def test_pings_while_loop_runs_and_stop_when_it_freezes(systemd: FakeSystemd) -> None:
    dog = Watchdog()
    frozen = threading.Event()
    done = threading.Event()

    def app_loop() -> None:
        # A loop iterating every 5 ms, like the App loop's clock.tick; bounded in time.
        deadline = time.monotonic() + 10.0
        while not done.is_set() and time.monotonic() < deadline:
            if frozen.is_set():
                done.wait(0.01)  # stuck: a deadlock or a hung driver call
                continue
            dog.ping()
            time.sleep(0.005)

    thread = threading.Thread(target=app_loop, daemon=True)
    thread.start()
    try:
        running = systemd.receive(0.65)
        frozen.set()
        # The loop may have been inside ping() when frozen: let one in-flight ping land.
        systemd.receive(0.02)
        after_freeze = systemd.receive(2 * INTERVAL_S)
    finally:
        done.set()
        thread.join(timeout=5)
    pings = [t for t, message in running if message == "WATCHDOG=1"]
    # 0.65 s at one ping per 0.1 s: 7 expected; rate-limited, not one per iteration (~130).
    assert 5 <= len(pings) <= 8, len(pings)
    gaps = [b - a for a, b in itertools.pairwise(pings)]
    assert min(gaps) >= INTERVAL_S * 0.9
    assert max(gaps) < WATCHDOG_USEC / 1_000_000  # always inside systemd's timeout
    assert after_freeze == []


def test_ping_not_due_costs_no_syscall(systemd: FakeSystemd) -> None:
    dog = Watchdog()
    start = time.perf_counter()
    for _ in range(100_000):
        dog.ping()
    elapsed = time.perf_counter() - start
    assert systemd.drain() == ["WATCHDOG=1"]  # one datagram for 100 000 calls
    # ~0.2 µs each here; a send per call would be ~5 µs. Loose bound for a loaded CI box.
    assert elapsed < 0.5


def test_abstract_socket_address(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"huimin-test-{os.getpid()}-{time.monotonic_ns()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    try:
        dog = Watchdog()
        dog.ready()
        dog.ping()  # no WATCHDOG_USEC: pings are off
        assert FakeSystemd(sock).drain() == ["READY=1"]
    finally:
        sock.close()


def test_malformed_watchdog_usec_disables_pings_only(
    systemd: FakeSystemd, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "soon")
    dog = Watchdog()
    assert dog.interval is None
    dog.ready()
    assert systemd.drain() == ["READY=1"]


def test_vanished_socket_never_raises(systemd: FakeSystemd) -> None:
    dog = Watchdog()
    systemd.sock.close()
    dog.ready()
    dog.status("x")
    dog.stopping()

"""IdCardWatcher against the simulator: placements, errors, unplug and replug."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import pytest

from drivers.errors import DeviceError, ProtocolError
from drivers.idcard import CardReadFailed, IdCard, IdCardWatcher
from drivers.sim.demo_cards import SimCard
from drivers.sim.idcard_reader import IdCardSimulator
from protocol.devices import DeviceHealth, DeviceState

WaitFor = Callable[..., bool]  # the conftest's wait_for fixture


class SocatPair(Protocol):
    """The conftest's socat_pair fixture: two linked pty paths, restartable."""

    a: Path
    b: Path

    def start(self) -> None: ...
    def stop(self) -> None: ...


class Recorder:
    """Collects watcher callbacks (called on the watcher thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.events: list[tuple[str, object]] = []

    def on_card(self, card: IdCard) -> None:
        with self._lock:
            self.events.append(("card", card.name))

    def on_removed(self) -> None:
        with self._lock:
            self.events.append(("removed", None))

    def on_error(self, exc: DeviceError) -> None:
        with self._lock:
            self.events.append(("error", exc))

    def on_health(self, health: DeviceHealth) -> None:
        with self._lock:
            self.events.append(("health", health.state))

    def kinds(self, *names: str) -> list[tuple[str, object]]:
        with self._lock:
            return [e for e in self.events if e[0] in names]

    def cards(self) -> list[tuple[str, object]]:
        return self.kinds("card", "removed")

    def states(self) -> list[object]:
        return [value for _, value in self.kinds("health")]


def make_watcher(path: str, rec: Recorder, poll_interval_ms: int = 300) -> IdCardWatcher:
    return IdCardWatcher(
        path,
        poll_interval_ms=poll_interval_ms,
        on_card=rec.on_card,
        on_removed=rec.on_removed,
        on_error=rec.on_error,
        on_health=rec.on_health,
        command_timeout=0.5,
        backoff_min=0.1,
        backoff_max=0.4,
    )


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def watched(
    idcard_line: tuple[IdCardSimulator, str], rec: Recorder, wait_for: WaitFor
) -> Iterator[tuple[IdCardSimulator, IdCardWatcher]]:
    sim, path = idcard_line
    watcher = make_watcher(path, rec)
    watcher.start()
    assert wait_for(lambda: DeviceState.ONLINE in rec.states())
    yield sim, watcher
    watcher.stop()


def test_one_event_per_placement_and_swaps(
    watched: tuple[IdCardSimulator, IdCardWatcher],
    rec: Recorder,
    demo_cards: dict[str, SimCard],
    wait_for: WaitFor,
) -> None:
    sim, _ = watched
    sim.place(demo_cards["zhang_xiulan"])
    assert wait_for(lambda: rec.cards() == [("card", "张秀兰")])
    # Several polls later the card still lies there: no second event.
    assert not wait_for(lambda: len(rec.cards()) > 1, timeout=1.2)
    sim.remove()
    assert wait_for(lambda: rec.cards()[-1:] == [("removed", None)])
    sim.place(demo_cards["li_jianguo"])
    assert wait_for(lambda: rec.cards()[-1:] == [("card", "李建国")])
    sim.place(demo_cards["wang_fang"])  # swapped between two polls
    assert wait_for(lambda: len(rec.cards()) == 5)
    assert rec.cards()[-2:] == [("removed", None), ("card", "王芳")]
    assert rec.kinds("error") == []


def test_polls_no_faster_than_300_ms(
    idcard_line: tuple[IdCardSimulator, str], rec: Recorder, wait_for: WaitFor
) -> None:
    sim, path = idcard_line
    watcher = make_watcher(path, rec, poll_interval_ms=50)
    assert watcher.poll_interval == 0.3
    watcher.start()
    try:
        assert wait_for(lambda: sum(1 for r in sim.requests if r[1:] == (0x20, 1)) >= 5)
    finally:
        watcher.stop()
    finds = [t for t, cmd, para in sim.requests if (cmd, para) == (0x20, 0x01)]
    gaps = [b - a for a, b in itertools.pairwise(finds)]
    assert gaps and min(gaps) >= 0.29


def test_read_error_is_reported_once_until_the_card_is_lifted(
    watched: tuple[IdCardSimulator, IdCardWatcher],
    rec: Recorder,
    demo_cards: dict[str, SimCard],
    wait_for: WaitFor,
) -> None:
    sim, _ = watched
    sim.set_fault("read_fail")
    sim.place(demo_cards["ma_wenhua"])
    assert wait_for(lambda: len(rec.kinds("error")) == 1)
    error = rec.kinds("error")[0][1]
    assert isinstance(error, CardReadFailed)
    assert error.user_message == "请重新放置身份证"
    sim.set_fault(None)
    # Spec "Usage": not retried while the same card stays on the reader.
    assert not wait_for(lambda: rec.cards() != [], timeout=1.0)
    lifted_at = time.monotonic()
    sim.remove()
    # Wait until the watcher has polled the empty reader once (a real lift takes that long).
    assert wait_for(lambda: any(t > lifted_at and (c, p) == (0x20, 1) for t, c, p in sim.requests))
    sim.place(demo_cards["ma_wenhua"])
    assert wait_for(lambda: rec.cards() == [("card", "马文华")])
    assert len(rec.kinds("error")) == 1


def test_line_noise_during_a_read_is_retried_silently(
    watched: tuple[IdCardSimulator, IdCardWatcher],
    rec: Recorder,
    demo_cards: dict[str, SimCard],
    wait_for: WaitFor,
) -> None:
    sim, _ = watched
    sim.set_fault("lost_byte", on_command=0x30)
    sim.place(demo_cards["li_jianguo"])
    assert wait_for(lambda: rec.cards() == [("card", "李建国")])
    assert sim.faults_injected == 1
    assert rec.kinds("error") == []


def test_persistent_corruption_is_reported_once(
    watched: tuple[IdCardSimulator, IdCardWatcher],
    rec: Recorder,
    demo_cards: dict[str, SimCard],
    wait_for: WaitFor,
) -> None:
    sim, _ = watched
    sim.set_fault("bad_checksum", on_command=0x30)
    sim.place(demo_cards["li_jianguo"])
    assert wait_for(lambda: len(rec.kinds("error")) == 1)
    assert isinstance(rec.kinds("error")[0][1], ProtocolError)
    assert not wait_for(lambda: len(rec.kinds("error")) > 1, timeout=1.0)
    assert rec.cards() == []


def test_a_line_of_pure_noise_is_offline_not_online(
    watched: tuple[IdCardSimulator, IdCardWatcher],
    rec: Recorder,
    wait_for: WaitFor,
) -> None:
    sim, _ = watched
    sim.set_fault("bad_checksum")
    assert wait_for(lambda: rec.states()[-1:] == [DeviceState.OFFLINE], timeout=8.0)
    sim.set_fault(None)
    assert wait_for(lambda: rec.states()[-1:] == [DeviceState.ONLINE], timeout=8.0)


def test_unresponsive_reader_goes_offline_and_comes_back(
    watched: tuple[IdCardSimulator, IdCardWatcher],
    rec: Recorder,
    demo_cards: dict[str, SimCard],
    wait_for: WaitFor,
) -> None:
    sim, _ = watched
    sim.place(demo_cards["zhao_lei"])
    assert wait_for(lambda: rec.cards() == [("card", "赵磊")])
    sim.set_fault("slow")
    assert wait_for(lambda: rec.states()[-1:] == [DeviceState.OFFLINE])
    assert rec.cards()[-1] == ("removed", None)  # presence unknown while offline
    sim.set_fault(None)
    assert wait_for(lambda: rec.states()[-1:] == [DeviceState.ONLINE], timeout=8.0)
    assert wait_for(lambda: rec.cards()[-1:] == [("card", "赵磊")], timeout=5.0)


def test_a_failing_callback_does_not_stop_the_watcher(
    idcard_line: tuple[IdCardSimulator, str],
    demo_cards: dict[str, SimCard],
    wait_for: WaitFor,
) -> None:
    sim, path = idcard_line
    seen: list[str] = []

    def explode(card: IdCard) -> None:
        seen.append(card.name)
        raise RuntimeError("UI queue full")

    watcher = IdCardWatcher(
        path,
        on_card=explode,
        on_removed=lambda: None,
        on_error=lambda exc: None,
        on_health=lambda h: None,
    )
    watcher.start()
    try:
        sim.place(demo_cards["wang_fang"])
        assert wait_for(lambda: seen == ["王芳"])
        sim.remove()
        assert wait_for(lambda: watcher.health is not None)
        sim.place(demo_cards["li_jianguo"])
        assert wait_for(lambda: seen == ["王芳", "李建国"])
    finally:
        watcher.stop()


def _replug_check(
    rec: Recorder,
    wait_for: WaitFor,
    unplug: Callable[[], object],
    replug: Callable[[], object],
    name: str,
) -> None:
    assert wait_for(lambda: rec.cards() == [("card", name)])
    unplug()
    assert wait_for(lambda: rec.states()[-1:] in ([DeviceState.NODEVICE], [DeviceState.OFFLINE]))
    assert wait_for(lambda: rec.cards()[-1:] == [("removed", None)])
    replug()
    assert wait_for(lambda: rec.states()[-1:] == [DeviceState.ONLINE], timeout=8.0)
    assert wait_for(lambda: rec.cards() == [("card", name), ("removed", None), ("card", name)])


def test_unplug_replug_own_pty(
    tmp_path: Path, rec: Recorder, demo_cards: dict[str, SimCard], wait_for: WaitFor
) -> None:
    sim = IdCardSimulator(link=str(tmp_path / "idcard"))
    path = sim.start()
    sim.place(demo_cards["liu_guiying"])
    watcher = make_watcher(path, rec)
    watcher.start()
    try:
        _replug_check(rec, wait_for, sim.stop, sim.start, "刘桂英")
        assert rec.states()[-2] is DeviceState.NODEVICE  # the port itself vanished
    finally:
        watcher.stop()
        sim.stop()


def test_unplug_replug_socat(
    socat_pair: SocatPair, rec: Recorder, demo_cards: dict[str, SimCard], wait_for: WaitFor
) -> None:
    sim = IdCardSimulator(attach=str(socat_pair.b), link=str(socat_pair.a))
    path = sim.start()
    sim.place(demo_cards["wang_fang"])
    watcher = make_watcher(path, rec)
    watcher.start()

    def unplug() -> None:
        sim.stop()
        socat_pair.stop()

    def replug() -> None:
        socat_pair.start()
        sim.start()

    try:
        _replug_check(rec, wait_for, unplug, replug, "王芳")
    finally:
        watcher.stop()
        sim.stop()

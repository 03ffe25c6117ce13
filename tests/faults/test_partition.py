"""A network partition between the terminal and the hub (tests/faults/proxy.py
between them), with the real terminal: ``kiosk.runtime.Terminal`` built
headless (SDL dummy) with the simulated devices, its journal and fleet agent,
against a real hub process.

During the partition what needs no hub keeps working (the session, reading
the ID card, modes, calling staff — journaled and queued); a payment is
refused before any order exists, in plain words shown and spoken. The
terminal reads guides from the copy it kept at start (labelled as such); queue
tickets come from the hub, so they are refused with the plain "cannot reach
the service centre" message.
When the hub is reachable again the journal and event backlog is delivered
exactly once (by key) within 60 s; the test prints both durations.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pygame
import pytest

from kiosk.agent import AgentState
from kiosk.config import KioskConfig
from kiosk.runtime import Terminal
from screens import SCREENS
from tests.e2e.conftest import Kiosk
from tests.faults.hubproc import FaultHub
from tests.faults.proxy import PartitionProxy
from tools.headless import FakeClock

GOOD_CODE = "134567890123456789"
PARTITION_S = 12.0  # at least this long; the journey inside it takes a few seconds more
DELIVERY_LIMIT_S = 60.0


@pytest.fixture
def proxy(fault_hub: FaultHub) -> Iterator[PartitionProxy]:
    port = int(fault_hub.url.rsplit(":", 1)[1])
    p = PartitionProxy(port).start()
    try:
        yield p
    finally:
        p.stop()


@pytest.fixture
def terminal(proxy: PartitionProxy, tmp_path: Path) -> Iterator[Terminal]:
    config = KioskConfig.model_validate(
        {
            "terminal": {"name": "分区测试终端", "service_point": "dbt-zhangzhuang"},
            "hub": {
                "url": proxy.url,
                "credential_path": str(tmp_path / "credential.json"),
                "enrolment_code": "DEMO-ENROL",
                "heartbeat_interval_s": 5,
                "timeout_s": 2.0,
                "offline_cache_dir": str(tmp_path / "offline"),
            },
            "journal": {"path": str(tmp_path / "journal.sqlite")},
            "speech": {"enabled": False, "cache_dir": str(tmp_path / "speech")},
            "display": {"fullscreen": False},
        }
    )
    term = Terminal(config, screens=SCREENS, window=(1280, 800))
    term.build()
    try:
        yield term
    finally:
        term.close()


def keys_of(path: Path) -> list[tuple[int, str]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return [(int(s), str(k)) for s, k in conn.execute("SELECT seq, key FROM records")]
    finally:
        conn.close()


def hub_counts(hub: FaultHub, table: str, terminal_name: str) -> dict[str, int]:
    rows = hub.query(
        f"SELECT e.key, COUNT(*) FROM {table} e JOIN fleet_terminals t ON t.id = e.terminal_id"
        " WHERE t.name = ? GROUP BY e.key",
        (terminal_name,),
    )
    return {str(k): int(n) for k, n in rows}


def test_partition_refuses_payment_and_delivers_backlog_once(
    terminal: Terminal, proxy: PartitionProxy, fault_hub: FaultHub, tmp_path: Path
) -> None:
    app, devices = terminal.app, terminal.devices
    assert app is not None and devices is not None
    k = Kiosk(app, devices, cast(Any, None), [], FakeClock())
    k.wait_for(
        lambda: terminal.agent is not None and terminal.agent.state is AgentState.ONLINE,
        timeout=30,
        what="agent online",
    )
    offline = tmp_path / "offline"
    k.wait_for(lambda: len(list(offline.glob("guide-*.json"))) >= 5, timeout=30, what="guides kept")
    k.wait_for(lambda: devices.available("printer")[0], what="printer online")
    proxy.delay_s = 0.3
    proxy.set_mode("delay")  # a slow link first: everything still works, only later
    confirm_medical_payment(k)

    proxy.set_mode("drop")  # the uplink goes: requests time out
    started = time.monotonic()
    k.choose("pay_code")
    k.scan(GOOD_CODE)
    k.wait_for(lambda: bool(k.screen.outcome), timeout=20, what="payment refused")
    shown = k.screen.notice.message
    assert "现在不能缴费" in shown and "没有被扣款" in shown
    assert shown in k.said()
    assert k.screen.flow is None  # no order exists
    check_working_without_the_hub(k, proxy)
    app.lifecycle.end(completed=False)
    journal_path = tmp_path / "journal.sqlite"
    events_path = tmp_path / "events.sqlite"
    agent = terminal.agent
    assert agent is not None and agent.journal_outbox is not None
    assert agent.journal_outbox.backlog() > 0  # queued, not lost
    while time.monotonic() - started < PARTITION_S:
        app.step()
        time.sleep(0.05)
    backlog = (agent.journal_outbox.backlog(), agent.event_outbox.backlog())
    proxy.set_mode("pass")
    healed = time.monotonic()
    partition_s = healed - started
    got_journal, got_events = wait_delivered(k, fault_hub, journal_path, events_path, healed)
    delivery_s = time.monotonic() - healed
    assert set(got_journal.values()) == {1} and set(got_events.values()) == {1}
    kinds = {kind for (kind,) in fault_hub.query("SELECT kind FROM fleet_journal")}
    assert {"payment", "call_staff", "session_end"} <= kinds
    print(
        f"\npartition: {partition_s:.1f} s; backlog of {backlog[0]} journal records and "
        f"{backlog[1]} events delivered exactly once {delivery_s:.1f} s after the hub returned"
    )


def confirm_medical_payment(k: Kiosk) -> None:
    """From the attract screen to the confirmation of 张秀兰's medical insurance fee."""
    k.key(pygame.K_RETURN)
    k.choose("pay")
    k.choose("medical")
    k.place_card("zhang_xiulan")
    k.wait_for(lambda: k.screen.name == "pay_people" and k.screen.data is not None)
    k.choose("next")
    assert k.screen.name == "pay_confirm"


def check_working_without_the_hub(k: Kiosk, proxy: PartitionProxy) -> None:
    """What needs no hub keeps working; what does is refused plainly; kept guides are read."""
    k.key(pygame.K_F2)  # modes, calling staff, reading a card need no hub
    assert k.app.session.modes.elder
    k.key(pygame.K_F1)
    assert "已呼叫工作人员" in k.said()
    proxy.set_mode("refuse")  # then the hub's port refuses outright
    k.key(pygame.K_HOME)
    k.choose("ticket")  # queue tickets come from the hub: refused plainly, with 重试
    k.wait_for(lambda: "暂时无法连接服务中心" in k.shown_text(), timeout=10, what="refusal")
    assert [o.name for _, o in k.screen.numbered_options()] == ["retry"]
    # Guides were kept at start: they are still read, labelled as the kiosk's copy.
    k.key(pygame.K_HOME)
    k.choose("apply")
    k.wait_for(lambda: getattr(k.screen, "data", None) is not None, timeout=15, what="topics")
    assert "本机保存的信息" in k.shown_text()
    k.choose(next(o.name for _, o in k.screen.numbered_options() if o.name.startswith("topic_")))
    k.choose(next(o.name for _, o in k.screen.numbered_options() if o.name.startswith("item_")))
    k.wait_for(lambda: k.screen.name == "guide" and k.screen.data is not None, what="guide")
    assert "本机保存的信息" in k.shown_text() and "申请材料" in k.shown_text()


def wait_delivered(
    k: Kiosk, fault_hub: FaultHub, journal_path: Path, events_path: Path, healed: float
) -> tuple[dict[str, int], dict[str, int]]:
    """Run the app until the hub holds every journal record and event the terminal
    wrote (at most DELIVERY_LIMIT_S after the link came back); the hub's counts by key."""
    want_journal = {key for _, key in keys_of(journal_path)}
    want_events = {key for _, key in keys_of(events_path)}
    name = "分区测试终端"
    while True:
        k.app.step()
        got_journal = hub_counts(fault_hub, "fleet_journal", name)
        got_events = hub_counts(fault_hub, "fleet_events", name)
        if want_journal <= set(got_journal) and want_events <= set(got_events):
            return got_journal, got_events
        assert time.monotonic() - healed < DELIVERY_LIMIT_S, "backlog not delivered in 60 s"
        time.sleep(0.2)

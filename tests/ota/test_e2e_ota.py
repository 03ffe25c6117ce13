"""End to end at process level: a real hub process, real terminals (the
fleet agent and updater of tools/ota/terminal.py) started from A/B slots by
the real boot supervisor, an operator on the console over HTTP.

- a good release goes out in waves and every terminal ends healthy on it;
- a release that crashes at start is rolled back on the canary, the reason
  is on the console, and the rollout has paused itself before any other
  terminal took it;
- logs asked for from the console arrive masked, also from a terminal that
  was offline when they were asked for.
"""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.hub.conftest import ADMIN_PASSWORD
from tests.hub.fleet.helpers import login
from tests.ota.conftest import OtaHub
from tools.ota.fleet import SimTerminal, provision, start_supervisor

CANARY_ID = "41010219900307123X"


def wait_for(what: str, check: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def fleet(ota_hub: OtaHub, tmp_path: Path) -> Iterator[list[SimTerminal]]:
    first = ota_hub.signed.release("1.0.0", tmp_path)
    root = ota_hub.signed.repo.root_bytes()
    terminals = [
        provision(
            tmp_path / "fleet", f"E{i}", ota_hub.url, first, root, say=f"读卡 {CANARY_ID} 成功"
        )
        for i in range(3)
    ]
    for t in terminals:
        start_supervisor(t, health_timeout_s=20, crash_limit=2)
    try:
        yield terminals
    finally:
        for t in terminals:
            if t.process is not None and t.process.poll() is None:
                t.process.send_signal(signal.SIGTERM)
        for t in terminals:
            if t.process is not None:
                t.process.wait(20)


def console(ota_hub: OtaHub) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=ota_hub.url, timeout=20, follow_redirects=True)
    return client, login(client, "admin", ADMIN_PASSWORD)


def online_versions(client: httpx.Client) -> dict[str, str]:
    page = client.get("/console/fragments/overview").text
    return dict(re.findall(r"(E\d)</a>.*?<td>([0-9.]+)</td>", page, flags=re.S))


def _online(client: httpx.Client, terminal_id: str) -> bool:
    page = client.get(f"/console/terminals/{terminal_id}").text
    return "1.0.0" in page


def release_and_roll(
    ota_hub: OtaHub, client: httpx.Client, csrf: str, version: str, threshold: int
) -> int:
    reply = client.post("/console/releases/approve", data={"version": version, "csrf_token": csrf})
    assert reply.status_code == 200 and f"已批准版本 {version}" in reply.text, reply.text[-500:]
    release_id = re.search(rf'<option value="(\d+)">{re.escape(version)}</option>', reply.text)
    assert release_id
    reply = client.post(
        "/console/rollouts",
        data={
            "release_id": release_id.group(1),
            "waves": "canary:E0; percent:100",
            "healthy_period_s": "2",
            "failure_threshold_pct": str(threshold),
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    location = reply.headers["location"]
    match = re.match(r"/console/rollouts/(\d+)", location)
    assert match, location
    return int(match.group(1))


def test_good_release_reaches_all_and_a_crashing_one_is_rolled_back(
    ota_hub: OtaHub, fleet: list[SimTerminal], tmp_path: Path
) -> None:
    client, csrf = console(ota_hub)
    wait_for("3 terminals on 1.0.0", lambda: len(online_versions(client)) == 3, 120)
    ota_hub.signed.release("1.1.0", tmp_path)
    rid = release_and_roll(ota_hub, client, csrf, "1.1.0", threshold=34)
    page = lambda: client.get(f"/console/rollouts/{rid}").text  # noqa: E731
    wait_for("1.1.0 healthy everywhere", lambda: page().count("<td>正常</td>") == 3, 120)
    wait_for("rollout done", lambda: "已完成" in page(), 30)
    for t in fleet:
        assert t.slots.active() == "b" and t.slots.version("b") == "1.1.0"
        last = t.state()["last"]
        assert isinstance(last, dict) and last["state"] == "healthy"
        # Down during the switch: from the switch to the gate's pass.
        assert last["at"] - last["switch_started_at"] < 30
    wait_for("heartbeats say 1.1.0", lambda: set(online_versions(client).values()) == {"1.1.0"}, 30)

    ota_hub.signed.release("1.2.0", tmp_path, crash=True)
    rid = release_and_roll(ota_hub, client, csrf, "1.2.0", threshold=0)
    wait_for("canary rolled back", lambda: "已回滚" in page(), 120)
    text = page()
    assert "crash loop: version 1.2.0" in text
    assert "broken on purpose" in text  # the last log lines, masked
    assert CANARY_ID not in text
    assert "已暂停" in text and "超过阈值" in text
    canary, others = fleet[0], fleet[1:]
    assert canary.slots.active() == "b" and canary.slots.version("b") == "1.1.0"
    time.sleep(3)  # several update polls: nobody else takes the paused release
    for t in others:
        assert t.slots.version(t.slots.inactive()) != "1.2.0"
        assert t.slots.version(t.slots.active()) == "1.1.0"
    assert text.count("等待批次") == 2
    wait_for(
        "canary back online on 1.1.0", lambda: online_versions(client).get("E0") == "1.1.0", 30
    )


def test_logs_arrive_masked_also_from_a_terminal_that_was_offline(
    ota_hub: OtaHub, fleet: list[SimTerminal]
) -> None:
    client, csrf = console(ota_hub)
    # Each terminal's id from its own credential (the module's hub may know
    # older terminals of the same names).
    creds = [t.data / "credential.json" for t in fleet]
    wait_for("3 terminals enrolled", lambda: all(c.exists() for c in creds), 120)
    by_name = {
        t.name: str(json.loads(c.read_text())["terminal_id"])
        for t, c in zip(fleet, creds, strict=True)
    }
    wait_for(
        "3 terminals online", lambda: all(_online(client, by_name[t.name]) for t in fleet), 120
    )
    offline = fleet[1]
    assert offline.process is not None
    offline.process.send_signal(signal.SIGTERM)
    offline.process.wait(20)
    for name in ("E0", "E1"):
        reply = client.post(
            f"/console/terminals/{by_name[name]}/logs",
            data={"kind": "window", "minutes": "30", "csrf_token": csrf},
        )
        assert "已请求日志" in reply.text

    def uploaded(name: str) -> str | None:
        page = client.get(f"/console/terminals/{by_name[name]}/logs").text
        found = re.search(r'href="/console/logs/(\d+)"', page)
        return found.group(1) if found else None

    wait_for("E0's logs", lambda: uploaded("E0") is not None, 120)
    time.sleep(2)
    assert uploaded("E1") is None, "an offline terminal cannot have answered"
    start_supervisor(offline, health_timeout_s=20, crash_limit=2)
    wait_for("E1's logs after it returned", lambda: uploaded("E1") is not None, 120)
    for name in ("E0", "E1"):
        text = client.get(f"/console/logs/{uploaded(name)}").text
        assert f"terminal {name} starting version 1.0.0" in text
        assert "4101*************X" in text, "the canary is there, masked"
        assert CANARY_ID not in text

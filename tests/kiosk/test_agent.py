"""Fleet agent against the fake hub over real HTTP(S) on loopback: enrolment,
heartbeat, every command kind, long-poll, revocation, outages, TLS pinning."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.agent import AgentConfigError, AgentState, FleetAgent
from kiosk.agent.commands import HOST_KINDS
from kiosk.journal import Journal, JournalError
from kiosk.signing import TerminalKey, signing_key_path
from protocol.commands import CommandArgs, CommandKind, wire_args
from protocol.devices import DeviceHealth, DeviceState, PaperState
from tests.kiosk.fake_hub import FakeHub

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PLACE = {"county": "兰考县", "town": "城关镇", "village": "胡寨村", "branch": ""}


class FakeHost:
    """The app as the agent sees it; records what it was asked to do."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.commands: list[tuple[str, dict[str, Any], float]] = []
        self.personal = False
        self.screenshots_taken = 0
        self.hang: threading.Event | None = None  # set: run_command blocks until it is set

    def status_snapshot(self) -> dict[str, Any]:
        return {
            "version": "0.1.0",
            "uptime_s": 42,
            "devices": [
                DeviceHealth("printer", DeviceState.ONLINE, PaperState.LOW),
                # A driver bug leaking a card number into detail must not reach the hub.
                DeviceHealth("smartcard", DeviceState.HWERROR, detail="card 6222021234567890123"),
            ],
            "screen": "home",
            "session_state": "active",
            "maintenance": False,
            "journal_backlog": 0,
            "identity": {"id_number": "410102199001011234"},  # not a heartbeat field
        }

    def personal_data_on_screen(self) -> bool:
        return self.personal

    def take_screenshot(self) -> bytes | None:
        with self.lock:
            self.screenshots_taken += 1
        return None if self.personal else PNG

    def run_command(
        self, kind: CommandKind, args: CommandArgs, timeout_s: float
    ) -> tuple[bool, str]:
        with self.lock:
            # Recorded as on the wire, to compare with what the hub queued.
            self.commands.append((kind, wire_args(args), timeout_s))
        if self.hang is not None:
            self.hang.wait(10)
        return True, f"{kind} done"


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub() as running:
        yield running


@pytest.fixture
def host() -> FakeHost:
    return FakeHost()


AgentFactory = Callable[..., FleetAgent]


@pytest.fixture
def make_agent(tmp_path: Path, host: FakeHost) -> Iterator[AgentFactory]:
    agents: list[FleetAgent] = []

    def make(hub_url: str, **options: Any) -> FleetAgent:
        settings: dict[str, Any] = {
            "ca_file": None,
            "credential_path": tmp_path / "var" / "credential.json",
            "enrolment_code": "CODE-1",
            "heartbeat_interval_s": 0.2,
            "long_poll_s": 2,
            "command_poll_s": 0.2,
            "retry_cap_s": 0.5,
            "screenshot_retry_s": 0.05,
            "command_timeout_s": 2.0,
        }
        settings.update(options)
        agent = FleetAgent(
            hub_url,
            settings.pop("ca_file"),
            settings.pop("credential_path"),
            settings.pop("enrolment_code"),
            "胡寨村便民服务站 1号机",
            PLACE,
            host,
            **settings,
        )
        agents.append(agent)
        return agent

    yield make
    for agent in agents:
        agent.stop()


def _until(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def _online(agent: FleetAgent) -> bool:
    return _until(lambda: agent.state is AgentState.ONLINE, 5.0)


def test_a_deleted_signing_key_is_replaced_and_sent_with_the_credential(
    hub: FakeHub, make_agent: AgentFactory, tmp_path: Path
) -> None:
    """Rotating a terminal's key: delete the key file and restart; the agent makes a
    new key and sends its public half (POST /api/v1/terminal/key), once."""
    agent = make_agent(hub.url)
    agent.start()
    assert _online(agent)
    agent.stop()
    credential = tmp_path / "var" / "credential.json"
    old = TerminalKey.load_or_create(signing_key_path(credential))
    signing_key_path(credential).unlink()
    again = make_agent(hub.url)
    again.start()
    assert _online(again)
    assert _until(lambda: len(hub.signing_keys) == 1, 5.0)
    new = TerminalKey.load_or_create(signing_key_path(credential))
    assert new.key_id != old.key_id
    assert hub.signing_keys == [(1, new.public_key)]
    assert _until(lambda: json.loads(credential.read_text())["key_id"] == new.key_id, 5.0)
    again.stop()
    third = make_agent(hub.url)
    third.start()
    assert _online(third)
    third.stop()
    assert len(hub.signing_keys) == 1  # the hub has it: not sent again


def test_enrols_once_and_keeps_the_credential_owner_only(
    hub: FakeHub, make_agent: AgentFactory, tmp_path: Path
) -> None:
    agent = make_agent(hub.url)
    assert agent.state is AgentState.ENROLLING
    agent.start()
    assert _online(agent)
    credential = tmp_path / "var" / "credential.json"
    assert credential.stat().st_mode & 0o777 == 0o600
    stored = json.loads(credential.read_text())
    assert set(stored) == {"terminal_id", "token", "hub_url", "key_id"}
    assert stored["terminal_id"] == agent.terminal_id == 1
    assert stored["token"] not in repr(agent.credentials.load())
    # The signing key was made beside the credential, owner-only, and its public
    # half sent with the enrolment (never the private one).
    key = TerminalKey.load_or_create(signing_key_path(credential))
    assert signing_key_path(credential).stat().st_mode & 0o777 == 0o600
    assert stored["key_id"] == key.key_id
    assert hub.enrolments == [
        {
            "code": "CODE-1",
            "name": "胡寨村便民服务站 1号机",
            "place": PLACE,
            "public_key": key.public_key,
        }
    ]
    assert hub.signing_keys == []  # the hub has it from the enrolment
    agent.stop()
    # After a restart the credential is used; the one-time code is not sent again.
    again = make_agent(hub.url)
    again.start()
    assert _online(again)
    assert hub.requests["POST /api/v1/terminal/enrol"] == 1


def test_a_refused_enrolment_code_is_reported(hub: FakeHub, make_agent: AgentFactory) -> None:
    agent = make_agent(hub.url, enrolment_code="WRONG")
    agent.start()
    assert _until(lambda: "enrolment code" in agent.last_error, 3.0)
    assert agent.state is AgentState.ENROLLING
    assert hub.heartbeats == []


def test_heartbeat_reports_status_and_no_personal_data(
    hub: FakeHub, make_agent: AgentFactory, tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    hub.go_down()
    for n in range(3):
        journal.append("service_step", {"n": n})
    agent = make_agent(hub.url, journal=journal)
    body = agent.heartbeat_body()
    assert set(body) == {
        "version",
        "uptime_s",
        "devices",
        "disk_free_mb",
        "memory_rss_mb",
        "journal_backlog",
        "screen",
        "session_state",
        "maintenance",
    }
    assert body["journal_backlog"] == 3
    assert body["disk_free_mb"] > 0 and body["memory_rss_mb"] > 1
    assert body["devices"][0] == {**body["devices"][0], "device": "printer", "paper": "low"}
    assert body["devices"][1]["detail"] == "[redacted]"
    hub.come_up()
    agent.start()
    assert hub.wait_for(lambda: len(hub.heartbeats) >= 2, 5.0)
    wire = json.dumps(hub.heartbeats, ensure_ascii=False)
    assert "410102199001011234" not in wire and "6222021234567890123" not in wire
    assert hub.heartbeats[-1]["version"] == "0.1.0"
    # The journal went to the hub too, and the backlog reported shrinks to 0.
    assert hub.wait_for(lambda: len(hub.journal.stored) == 3, 5.0)
    assert hub.wait_for(lambda: hub.heartbeats[-1]["journal_backlog"] == 0, 5.0)
    agent.stop()
    journal.close()


VALID_ARGS: dict[str, dict[str, Any]] = {
    "restart": {},
    "maintenance_on": {"message": "设备维护中，请到窗口办理"},
    "maintenance_off": {},
    "test_print": {},
    "reload_config": {},
    "reload_catalogue": {},
    "announcement": {"text": "本周六社保窗口照常办公", "until": "2026-12-01T00:00:00+08:00"},
    "set_volume": {"step": 2},
}


def test_every_command_kind_runs_through_the_host_and_is_acked(
    hub: FakeHub, make_agent: AgentFactory, host: FakeHost
) -> None:
    assert set(VALID_ARGS) == set(HOST_KINDS)
    agent = make_agent(hub.url)
    agent.start()
    assert _online(agent)
    ids = {kind: hub.queue_command(kind, args) for kind, args in VALID_ARGS.items()}
    unknown = hub.queue_command("format_disk", {})
    bad = hub.queue_command("set_volume", {"step": "loud"})
    assert hub.wait_for(lambda: len(hub.acks) == len(ids) + 2, 5.0)
    assert [(k, a) for k, a, _ in host.commands] == list(VALID_ARGS.items())
    assert all(timeout == 2.0 for _, _, timeout in host.commands)
    for kind, command_id in ids.items():
        assert hub.acks[command_id] == {"ok": True, "result": f"{kind} done"}
    assert hub.acks[unknown]["ok"] is False
    assert "unknown command" in hub.acks[unknown]["result"]
    assert hub.acks[bad]["ok"] is False and "step" in hub.acks[bad]["result"]
    # Delivered again (e.g. the ack was lost): acknowledged again, not run twice.
    with hub.lock:
        hub.command_queue.append({"id": ids["restart"], "kind": "restart", "args": {}})
        hub.lock.notify_all()
        del hub.acks[ids["restart"]]
    assert hub.wait_for(lambda: ids["restart"] in hub.acks, 3.0)
    assert [k for k, _, _ in host.commands].count("restart") == 1


def test_screenshot_waits_for_personal_data_to_leave_the_screen(
    hub: FakeHub, make_agent: AgentFactory, host: FakeHost
) -> None:
    host.personal = True
    agent = make_agent(hub.url)
    agent.start()
    assert _online(agent)
    command_id = hub.queue_command("screenshot")
    time.sleep(0.5)
    assert hub.screenshots == [] and command_id not in hub.acks
    assert host.screenshots_taken == 0  # never even taken while personal data showed
    host.personal = False  # the session ended
    assert hub.wait_for(lambda: command_id in hub.acks, 3.0)
    assert hub.acks[command_id]["ok"] is True
    assert hub.screenshots == [("image/png", PNG)]


def test_screenshot_gives_up_after_its_bound(
    hub: FakeHub, make_agent: AgentFactory, host: FakeHost
) -> None:
    host.personal = True
    agent = make_agent(hub.url, screenshot_wait_s=0.3)
    agent.start()
    assert _online(agent)
    command_id = hub.queue_command("screenshot")
    assert hub.wait_for(lambda: command_id in hub.acks, 3.0)
    assert hub.acks[command_id]["ok"] is False
    assert "personal data" in hub.acks[command_id]["result"]
    assert hub.screenshots == []


def test_long_poll_delivers_a_command_within_a_second(
    hub: FakeHub, make_agent: AgentFactory, host: FakeHost
) -> None:
    # Slow heartbeat and polling (60 s): only the long-poll can deliver within the
    # bounds below, which are loose on purpose (a busy CI machine must not fail a
    # correct agent; the measured time is printed, and bench/ has the real figure).
    before = set(threading.enumerate())
    agent = make_agent(hub.url, heartbeat_interval_s=60, command_poll_s=60, long_poll_s=25)
    agent.start()
    assert _online(agent)
    assert hub.wait_for(lambda: hub.requests["long-poll"] >= 1, 10.0)
    time.sleep(0.2)
    queued = time.monotonic()
    command_id = hub.queue_command("maintenance_on", {"message": "维护"})
    assert hub.wait_for(lambda: command_id in hub.acks, 10.0)
    print(f"\nlong-poll: command acked {time.monotonic() - queued:.3f} s after it was queued")
    assert host.commands[0][0] == "maintenance_on"
    # stop() cancels the 25 s long-poll in flight.
    assert hub.wait_for(lambda: hub.requests["long-poll"] >= 2, 10.0)
    started = time.monotonic()
    agent.stop()
    assert time.monotonic() - started < 10.0
    # Only this agent's threads: an in-process hub from another test may still run its own.
    alive = [
        t.name
        for t in threading.enumerate()
        if t not in before and t.name.startswith(("fleet-", "outbox"))
    ]
    assert not alive


def test_polling_takes_over_when_the_long_poll_is_cut(
    hub: FakeHub, make_agent: AgentFactory, host: FakeHost
) -> None:
    hub.long_poll_broken = True
    agent = make_agent(hub.url, heartbeat_interval_s=60, command_poll_s=0.2)
    agent.start()
    assert _online(agent)
    command_id = hub.queue_command("test_print")
    assert hub.wait_for(lambda: command_id in hub.acks, 2.0)
    assert hub.requests["poll"] >= 1
    assert host.commands[0][0] == "test_print"


def test_revoked_credential_stops_all_calls(hub: FakeHub, make_agent: AgentFactory) -> None:
    states: list[AgentState] = []
    agent = make_agent(hub.url, on_state_change=states.append)
    agent.start()
    assert _online(agent)
    agent.post_event("rating", {"score": 5})
    assert hub.wait_for(lambda: len(hub.events.stored) == 1, 3.0)
    hub.revoke(1)
    assert _until(lambda: agent.state is AgentState.REVOKED, 3.0)
    assert "401" in agent.last_error
    assert states[-1] is AgentState.REVOKED
    agent.post_event("call_staff", {"reason": "help"})  # still accepted, kept on disk
    time.sleep(0.3)
    calls = sum(hub.requests.values())
    time.sleep(0.6)
    assert sum(hub.requests.values()) == calls
    assert agent.event_outbox.backlog() == 1


def test_events_queued_during_an_outage_are_delivered_once(
    hub: FakeHub, make_agent: AgentFactory
) -> None:
    agent = make_agent(hub.url)
    agent.start()
    assert _online(agent)
    agent.post_event("device_fault", {"device": "printer", "paper": "out"})
    assert hub.wait_for(lambda: len(hub.events.stored) == 1, 3.0)
    hub.go_down()
    assert _until(lambda: agent.state is AgentState.OFFLINE, 3.0)
    for n in range(30):
        agent.post_event("device_fault", {"device": "scanner", "n": n})
    time.sleep(0.5)
    hub.come_up()
    back = time.monotonic()
    assert hub.wait_for(lambda: len(hub.events.stored) == 31, 5.0)
    delay = time.monotonic() - back
    assert _online(agent)
    print(f"\nagent: 30 events delivered {delay:.2f} s after the hub came back")
    assert delay < 2.0
    assert set(hub.events.received.values()) == {1}
    assert [e["data"].get("n") for e in hub.events.stored[1:]] == list(range(30))
    with pytest.raises(ValueError, match="personal data"):
        agent.post_event("call_staff", {"who": "410102199001011234"})


def test_https_with_the_pinned_ca(tmp_path: Path, make_agent: AgentFactory) -> None:
    from tests.kiosk.fake_hub import make_ca, make_server_cert

    ca = make_ca(tmp_path, "county-ca")
    rogue = make_ca(tmp_path, "rogue-ca")
    with FakeHub(tls=make_server_cert(tmp_path, ca, "hub")) as hub:
        agent = make_agent(hub.url, ca_file=ca.cert_path)
        agent.start()
        assert hub.url.startswith("https://")
        assert _online(agent)
        agent.stop()
    with FakeHub(tls=make_server_cert(tmp_path, rogue, "impostor")) as impostor:
        agent = make_agent(
            impostor.url, ca_file=ca.cert_path, credential_path=tmp_path / "other.json"
        )
        agent.start()
        assert _until(lambda: "pinned CA" in agent.last_error, 3.0)
        assert agent.state is AgentState.ENROLLING
        assert impostor.enrolments == []  # the code never reached the impostor


@pytest.mark.parametrize(
    "url",
    ["http://10.20.30.40:8000", "http://hub.lankao.gov.cn", "http://[2001:db8::1]:8000"],
)
def test_plain_http_to_a_non_loopback_hub_is_refused(url: str, make_agent: AgentFactory) -> None:
    with pytest.raises(AgentConfigError, match="loopback"):
        make_agent(url)


def test_https_needs_a_ca_file_and_loopback_http_is_accepted(
    make_agent: AgentFactory, tmp_path: Path
) -> None:
    with pytest.raises(AgentConfigError, match="ca_file"):
        make_agent("https://hub.lankao.gov.cn")
    with pytest.raises(AgentConfigError, match="does not exist"):
        make_agent("https://hub.lankao.gov.cn", ca_file=tmp_path / "missing.pem")
    with pytest.raises(AgentConfigError):
        make_agent("ftp://127.0.0.1/")
    for url in ("http://127.0.0.1:1", "http://127.9.9.9:1", "http://[::1]:1", "http://localhost:1"):
        assert make_agent(url).state is AgentState.ENROLLING


def test_an_ack_the_hub_rejects_is_dropped_not_retried_forever(
    hub: FakeHub, make_agent: AgentFactory, host: FakeHost
) -> None:
    agent = make_agent(hub.url)
    agent.start()
    assert _online(agent)
    agent.commands.handle({"id": "999", "kind": "test_print", "args": {}})  # unknown to the hub
    assert host.commands[-1][0] == "test_print"
    assert agent.commands.unsent_acks == 0
    hub.go_down()
    agent.commands.handle({"id": "998", "kind": "reload_config", "args": {}})
    assert agent.commands.unsent_acks == 1  # hub down: kept for later


def test_events_posted_after_stop_are_kept_for_the_next_start(
    hub: FakeHub, make_agent: AgentFactory
) -> None:
    agent = make_agent(hub.url)
    agent.start()
    assert _online(agent)
    agent.stop()
    agent.post_event("session_end", {"reason": "shutdown"})
    agent.start()
    assert hub.wait_for(lambda: [e["kind"] for e in hub.events.stored] == ["session_end"], 3.0)
    agent.close()
    with pytest.raises(JournalError):
        agent.post_event("session_end", {})


def test_a_hung_app_gets_a_failed_ack_not_a_hung_agent(
    hub: FakeHub, make_agent: AgentFactory, host: FakeHost
) -> None:
    host.hang = threading.Event()
    agent = make_agent(hub.url, command_timeout_s=0.3)
    agent.start()
    assert _online(agent)
    stuck = hub.queue_command("reload_catalogue")
    assert hub.wait_for(lambda: stuck in hub.acks, 3.0)
    assert hub.acks[stuck]["ok"] is False and "no answer" in hub.acks[stuck]["result"]
    host.hang.set()
    host.hang = None
    after = hub.queue_command("test_print")
    assert hub.wait_for(lambda: after in hub.acks, 3.0)
    assert hub.acks[after]["ok"] is True

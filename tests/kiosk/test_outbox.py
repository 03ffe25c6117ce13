"""Outbox against the fake hub over real HTTP on loopback: exactly once, in
order, across outages, 500s and a revoked credential (DESIGN §6)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.hub_client import HubClient
from kiosk.journal import Journal
from kiosk.outbox import EVENTS_CHANNEL, Backoff, HubRefused, Outbox
from kiosk.sealed import Sealer
from tests.kiosk.fake_hub import FakeHub

TOKEN = "test-token"


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub() as running:
        running.tokens[TOKEN] = 1
        yield running


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = Journal(tmp_path / "journal.sqlite")
    yield j
    j.close()


def _transport(hub: FakeHub) -> HubClient:
    transport = HubClient(hub.url, None, timeout_s=5)
    transport.set_token(TOKEN)
    return transport


def _keys(journal: Journal) -> list[str]:
    return [r.key for r in journal.records()]


def test_delivers_every_record_once_in_order(hub: FakeHub, journal: Journal) -> None:
    for n in range(250):
        journal.append("service_step", {"n": n})
    outbox = Outbox(journal, _transport(hub), batch=100)
    outbox.start()
    try:
        assert outbox.flush(10)
        assert hub.journal.stored_keys == _keys(journal)
        assert set(hub.journal.received.values()) == {1}
        assert hub.requests["POST /api/v1/terminal/journal"] == 3  # 100 + 100 + 50
        # A record appended later wakes the idle thread (no 5 s idle poll wait).
        started = time.monotonic()
        late = journal.append("print", {"pages": 1})
        # Well under the 5 s idle poll, yet loose enough for a busy CI machine.
        assert hub.wait_for(lambda: late.key in hub.journal.stored_keys, 3.0)
        assert time.monotonic() - started < 3.0
    finally:
        outbox.stop()
    assert outbox.backlog() == 0
    stored = hub.journal.stored[0]
    assert set(stored) == {"key", "seq", "at", "kind", "data", "prev_hash", "hash"}


def test_outage_then_recovery_delivers_the_backlog_once(hub: FakeHub, journal: Journal) -> None:
    outbox = Outbox(journal, _transport(hub), batch=20, backoff_cap_s=1.0)
    outbox.start()
    try:
        journal.append("session_start", {})
        assert hub.wait_for(lambda: len(hub.journal.stored) == 1, 2.0)
        hub.go_down()
        for n in range(75):
            journal.append("service_step", {"n": n})
        time.sleep(1.5)  # several failed attempts, backoff at its 1 s cap
        assert outbox.backlog() == 75
        assert outbox.last_error
        hub.come_up()
        back = time.monotonic()
        assert hub.wait_for(lambda: len(hub.journal.stored) == 76, 5.0)
        delay = time.monotonic() - back
    finally:
        outbox.stop()
    print(f"\noutbox: 75 records delivered {delay:.2f} s after the hub came back (cap 1 s)")
    assert delay < 2.5  # backoff cap (1 s) plus the upload itself
    assert hub.journal.stored_keys == _keys(journal)
    assert set(hub.journal.received.values()) == {1}


def test_server_errors_keep_records_queued(hub: FakeHub, journal: Journal) -> None:
    for n in range(5):
        journal.append("service_step", {"n": n})
    hub.fail_status = 500
    outbox = Outbox(journal, _transport(hub), batch=100, backoff_cap_s=0.2)
    outbox.start()
    try:
        assert not outbox.flush(0.8)
        assert outbox.backlog() == 5
        assert "500" in outbox.last_error
        assert hub.journal.stored == []
        hub.fail_status = None
        assert outbox.flush(3)
    finally:
        outbox.stop()
    assert hub.journal.stored_keys == _keys(journal)


def test_revoked_credential_pauses_and_keeps_records(hub: FakeHub, journal: Journal) -> None:
    journal.append("service_step", {"n": 1})
    refused: list[str] = []
    hub.revoke(1)
    outbox = Outbox(journal, _transport(hub), on_refused=refused.append)
    outbox.start()
    try:
        assert hub.wait_for(lambda: bool(refused), 2.0)
        assert outbox.paused
        assert "401" in refused[0]
        posts = hub.requests["POST /api/v1/terminal/journal"]
        time.sleep(0.3)
        assert hub.requests["POST /api/v1/terminal/journal"] == posts  # stopped calling
    finally:
        outbox.stop()
    assert outbox.backlog() == 1


class _PrefixHub:
    """A transport that acknowledges only the first ``n`` keys of each batch."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.batches: list[list[str]] = []

    def post_json(self, path: str, body: dict[str, Any]) -> Any:
        keys = [item["key"] for item in body["records"]]
        self.batches.append(keys)
        return {"accepted": keys[: self.n] + keys[self.n + 1 :]}  # a hole after the prefix


def test_only_the_acknowledged_prefix_moves_the_cursor(journal: Journal) -> None:
    for n in range(5):
        journal.append("service_step", {"n": n})
    transport = _PrefixHub(2)
    outbox = Outbox(journal, transport, batch=5)
    assert outbox.deliver_batch() == 2
    assert journal.delivered_seq() == 2
    assert outbox.deliver_batch() == 2  # 3 and 4 again; 5 was acked last time but sits after 3
    assert transport.batches[1][0].endswith(":3")


def test_flush_without_thread_delivers_inline(hub: FakeHub, journal: Journal) -> None:
    for n in range(30):
        journal.append("service_step", {"n": n})
    outbox = Outbox(journal, _transport(hub), batch=7)
    assert outbox.flush(5)
    assert hub.journal.stored_keys == _keys(journal)


def test_flush_without_thread_reports_refusal(hub: FakeHub, journal: Journal) -> None:
    journal.append("service_step", {"n": 1})
    transport = HubClient(hub.url, None, timeout_s=5)
    transport.set_token("wrong")
    outbox = Outbox(journal, transport)
    assert not outbox.flush(2)
    assert "401" in outbox.last_error
    with pytest.raises(HubRefused):
        outbox.deliver_batch()


def test_events_channel_sends_the_event_shape(hub: FakeHub, tmp_path: Path) -> None:
    events = Journal(tmp_path / "events.sqlite")
    events.append("device_fault", {"device": "printer", "paper": "out"})
    outbox = Outbox(events, _transport(hub), channel=EVENTS_CHANNEL)
    assert outbox.flush(5)
    assert [set(e) for e in hub.events.stored] == [{"key", "kind", "at", "data"}]
    assert hub.journal.stored == []
    events.close()


def test_sealed_personal_data_travels_encrypted(
    hub: FakeHub, journal: Journal, tmp_path: Path
) -> None:
    key = tmp_path / "terminal.key"
    sealer = Sealer(key)
    assert key.stat().st_mode & 0o777 == 0o600
    journal.append(
        "application_queued", {"application": sealer.seal({"id_number": "410102199001011234"})}
    )
    assert Outbox(journal, _transport(hub)).flush(5)
    wire = str(hub.journal.stored[0])
    assert "410102199001011234" not in wire
    assert sealer.open(hub.journal.stored[0]["data"]["application"]) == {
        "id_number": "410102199001011234"
    }


def test_backoff_grows_with_jitter_to_its_cap() -> None:
    backoff = Backoff(base_s=0.5, cap_s=30)
    delays = [backoff.next_delay() for _ in range(12)]
    assert 0.25 <= delays[0] <= 0.5
    assert all(15 <= d <= 30 for d in delays[-4:])
    assert len(set(delays)) > 6  # jittered, not a fixed ladder
    backoff.reset()
    assert backoff.next_delay() <= 0.5


def test_batches_stay_under_the_hubs_request_limit(hub: FakeHub, journal: Journal) -> None:
    for n in range(8):
        journal.append("service_step", {"n": n, "blob": "b" * 200_000})
    with pytest.raises(ValueError, match="KiB"):
        journal.append("service_step", {"blob": "b" * 300_000})
    assert Outbox(journal, _transport(hub), batch=100).flush(5)
    assert hub.journal.stored_keys == _keys(journal)
    assert hub.requests["POST /api/v1/terminal/journal"] >= 3
    assert 0 < hub.requests["upload bytes max"] < 1024 * 1024

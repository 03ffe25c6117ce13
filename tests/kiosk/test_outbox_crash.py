"""kill -9 the forwarding process mid-batch: no record is stored twice by the
hub and none is missing (DESIGN §6 "exactly once, surviving crashes").

Some kills are random (0–100 ms); others are placed exactly where it hurts:
the fake hub kills the uploader after it stored a batch and before it answers,
so the batch must go again with the same keys.
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.journal import Journal
from tests.kiosk.fake_hub import FakeHub

REPO = Path(__file__).resolve().parents[2]
ROUNDS = 30
BUDGET_S = 60.0
TOKEN = "crash-token"

CHILD = """
import sys, time
from kiosk.hub_client import HubClient
from kiosk.journal import Journal
from kiosk.outbox import Outbox
journal = Journal(sys.argv[1])
transport = HubClient(sys.argv[2], None, timeout_s=5)
transport.set_token(sys.argv[3])
outbox = Outbox(journal, transport, batch=10, backoff_cap_s=0.2)
outbox.start()
print("ready", flush=True)
for i in range(int(sys.argv[4])):
    journal.append("service_step", {"i": i})
    time.sleep(0.002)
outbox.flush(20)
print("flushed", flush=True)
time.sleep(60)
"""


def _wait_ready(child: subprocess.Popen[bytes]) -> None:
    assert child.stdout is not None
    ready, _, _ = select.select([child.stdout.fileno()], [], [], 10.0)
    assert ready, "child did not start"
    assert child.stdout.readline().strip() == b"ready"


def _kill_after_second_batch(hub: FakeHub, child: subprocess.Popen[bytes]) -> bool:
    """Kill the child right after the hub stored the 2nd batch of this round, before
    the child hears the acknowledgement; False if it sent fewer than two batches."""
    seen = {"batches": 0}

    def kill_after_store(keys: list[str]) -> None:
        seen["batches"] += 1
        if seen["batches"] == 2:
            os.kill(child.pid, signal.SIGKILL)

    hub.journal_hook = kill_after_store
    try:
        _wait_ready(child)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(child.pid, signal.SIGKILL)  # fewer than 2 batches this round
            child.wait()
            return False
        return True
    finally:
        hub.journal_hook = None


def _deliver_the_rest(path: Path, hub: FakeHub, env: dict[str, str]) -> None:
    """A last run without kills delivers whatever is left."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), hub.url, TOKEN, "0"],
        stdout=subprocess.PIPE,
        env=env,
    )
    try:
        _wait_ready(child)
        assert child.stdout is not None
        ready, _, _ = select.select([child.stdout.fileno()], [], [], 20.0)
        assert ready and child.stdout.readline().strip() == b"flushed"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert child.stdout is not None
        child.stdout.close()


@pytest.mark.slow
def test_kill_minus_9_mid_batch_never_duplicates_or_loses(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    Journal(path).close()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    rng = random.Random(7)
    hooked_kills = 0
    random_kills = 0
    with FakeHub() as hub:
        hub.tokens[TOKEN] = 1
        hub.delay_s = 0.005  # batches take a moment, so random kills land inside them
        started = time.monotonic()
        for round_no in range(ROUNDS):
            assert time.monotonic() - started < BUDGET_S
            child = subprocess.Popen(
                [sys.executable, "-c", CHILD, str(path), hub.url, TOKEN, "40"],
                stdout=subprocess.PIPE,
                env=env,
            )
            if round_no % 2 == 0:
                hooked_kills += _kill_after_second_batch(hub, child)
            else:
                _wait_ready(child)
                time.sleep(rng.uniform(0, 0.1))
                os.kill(child.pid, signal.SIGKILL)
                child.wait()
                random_kills += 1
            assert child.stdout is not None
            child.stdout.close()
        _deliver_the_rest(path, hub, env)
        elapsed = time.monotonic() - started

        journal = Journal(path)
        keys = [r.key for r in journal.records()]
        assert journal.verify().ok
        assert journal.backlog() == 0
        journal.close()
        stored = hub.journal.stored_keys
        assert len(stored) == len(set(stored)), "a record was stored twice"
        assert stored == keys, "records missing or out of order at the hub"
        resent = hub.journal.resent
    print(
        f"\noutbox crash test: {hooked_kills} kills after the hub stored a batch,"
        f" {random_kills} random kills, {len(keys)} records stored once each in order,"
        f" {resent} re-sent keys de-duplicated, {elapsed:.1f} s"
    )
    assert hooked_kills >= ROUNDS // 4
    assert resent > 0  # the dangerous window was really hit

"""kill -9 the journal writer at random moments, hundreds of times: after each
restart the chain verifies and no acknowledged record is missing
(specs/payments-and-privacy.md "Journal": no committed transaction is lost)."""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import pytest

from kiosk.journal import Journal

REPO = Path(__file__).resolve().parents[2]
KILLS = 200
BUDGET_S = 120.0  # CI bound; on an idle 2-core machine the loop takes about 30 s

# The child appends as fast as it can and prints "<seq> <token>" after each
# append returned, i.e. after the commit was acknowledged to the app.
CHILD = """
import os, sys
from kiosk.journal import Journal
j = Journal(sys.argv[1])
print("ready", flush=True)
i = 0
while True:
    token = f"{os.getpid()}-{i}"
    record = j.append("service_step", {"token": token, "pad": "z" * (i % 300)})
    print(record.seq, token, flush=True)
    i += 1
"""


def _read_line(stream: IO[bytes], timeout: float) -> str:
    ready, _, _ = select.select([stream.fileno()], [], [], timeout)
    if not ready:
        raise TimeoutError("child did not start")
    return stream.readline().decode()


@pytest.mark.slow
def test_kill_minus_9_never_loses_an_acknowledged_record(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    rng = random.Random(20261122)
    acknowledged: dict[int, str] = {}
    started = time.monotonic()
    kills = 0
    during_startup = 0
    while kills < KILLS:
        assert time.monotonic() - started < BUDGET_S, f"only {kills} kills in {BUDGET_S} s"
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, env=env
        )
        assert child.stdout is not None
        if kills % 10 == 9:
            # Now and then kill while the journal is being opened or created.
            time.sleep(rng.uniform(0, 0.05))
            during_startup += 1
        else:
            assert _read_line(child.stdout, 10.0).strip() == "ready"
            time.sleep(rng.uniform(0, 0.05))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        kills += 1
        for line in child.stdout.read().decode().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0].isdigit():
                acknowledged[int(parts[0])] = parts[1]
        child.stdout.close()

        journal = Journal(path)
        try:
            report = journal.verify()
            assert report.ok, f"after kill {kills}: {report.summary()}"
            stored = {r.seq: r.data["token"] for r in journal.records()}
        finally:
            journal.close()
        missing = {seq for seq in acknowledged if stored.get(seq) != acknowledged[seq]}
        assert not missing, f"after kill {kills}: acknowledged records lost: {sorted(missing)[:5]}"

    elapsed = time.monotonic() - started
    print(
        f"\njournal crash test: {kills} kill -9 ({during_startup} during start-up),"
        f" {len(acknowledged)} acknowledged records, none lost, {elapsed:.1f} s"
    )
    assert len(acknowledged) > KILLS  # the kills really landed among appends

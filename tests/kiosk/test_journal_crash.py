"""kill -9 the journal writer at random moments, hundreds of times: after each
restart the chain verifies and no acknowledged record is missing
(specs/payments-and-privacy.md "Journal": no committed transaction is lost).

The writer is a forked child process (the journal module is already imported,
so a round costs milliseconds instead of an interpreter start-up); it opens its
own SQLite connection after the fork. A few rounds exec a fresh interpreter
instead, so the kill also lands while the journal file is being opened.
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

REPO = Path(__file__).resolve().parents[2]
KILLS = 200
BUDGET_S = 90.0  # CI bound; about 10 s on an idle 2-core machine

EXEC_CHILD = """
import sys
from kiosk.journal import Journal
j = Journal(sys.argv[1])
i = 0
while True:
    record = j.append("service_step", {"token": f"x{i}"})
    print(record.seq, f"x{i}", flush=True)
    i += 1
"""


def _forked_writer(path: Path, out: int, round_no: int) -> None:
    """Runs in the child: append forever, writing "<seq> <token>" after each commit."""
    journal = Journal(path)
    os.write(out, b"ready\n")
    i = 0
    while True:
        token = f"r{round_no}-{i}"
        record = journal.append("service_step", {"token": token, "pad": "z" * (i % 300)})
        os.write(out, f"{record.seq} {token}\n".encode())
        i += 1


def _spawn_forked(path: Path, round_no: int) -> tuple[int, int]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_end)
        try:
            _forked_writer(path, write_end, round_no)
        finally:
            os._exit(1)
    os.close(write_end)
    return pid, read_end


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def _collect(output: bytes, acknowledged: dict[int, str]) -> None:
    for line in output.decode().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit():
            acknowledged[int(parts[0])] = parts[1]


@pytest.mark.slow
def test_kill_minus_9_never_loses_an_acknowledged_record(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    rng = random.Random(20261122)
    acknowledged: dict[int, str] = {}
    started = time.monotonic()
    kills = 0
    during_open = 0
    while kills < KILLS:
        assert time.monotonic() - started < BUDGET_S, f"only {kills} kills in {BUDGET_S} s"
        if kills % 20 == 19:
            # A fresh interpreter, killed while it imports and opens the journal.
            child = subprocess.Popen(
                [sys.executable, "-c", EXEC_CHILD, str(path)], stdout=subprocess.PIPE, env=env
            )
            time.sleep(rng.uniform(0.05, 0.25))
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            assert child.stdout is not None
            _collect(child.stdout.read(), acknowledged)
            child.stdout.close()
            during_open += 1
        else:
            pid, out = _spawn_forked(path, kills)
            ready, _, _ = select.select([out], [], [], 10.0)
            assert ready, "writer did not start"
            time.sleep(rng.uniform(0, 0.05))
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            _collect(_read_all(out), acknowledged)
        kills += 1

        journal = Journal(path)
        try:
            report = journal.verify()
            assert report.ok, f"after kill {kills}: {report.summary()}"
            stored = {r.seq: r.data["token"] for r in journal.records()}
        finally:
            journal.close()
        lost = [seq for seq, token in acknowledged.items() if stored.get(seq) != token]
        assert not lost, f"after kill {kills}: acknowledged records lost: {sorted(lost)[:5]}"

    elapsed = time.monotonic() - started
    print(
        f"\njournal crash test: {kills} kill -9 ({during_open} of a fresh interpreter),"
        f" {len(acknowledged)} acknowledged records, none lost, {elapsed:.1f} s"
    )
    assert len(acknowledged) > KILLS  # the kills really landed among appends

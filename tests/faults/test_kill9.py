"""kill -9 the terminal at random moments during scripted journeys (payments,
prints, ratings), at least 200 times, against a real hub process.

The terminal is ``tests/faults/journey_child.py``: the terminal's own journal,
payment flow, start-up payment recovery, receipt printer driver (to the virtual
printer) and fleet agent (outboxes for journal and events), without the UI —
a full UI start per kill would cost minutes here (see that module). After each
kill the terminal starts again (a fresh forked process on the same files) and:

- the journal passes its integrity check (the restart's own check, and ours);
- no acknowledged record is missing (every key the child saw committed);
- the hub holds each delivered record exactly once (by idempotent key);
- after the start-up recovery step every order the journal knows by number
  is in a final state at the hub, and nobody was charged twice (the sandbox
  provider's ledger: charges per trade, money kept per final state, one
  paid order per person at most).

At the end a last start delivers everything: the hub's journal and event
tables then equal the terminal's files, key for key, and today's bill
reconciles with the orders.
"""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.journal import Journal
from tests.faults.hubproc import FINAL, REPO, FaultHub, citizen, start_fault_hub

KILLS = int(os.environ.get("HUIMIN_FAULT_KILLS", "200"))
BUDGET_S = 420.0  # hard bound; about 2 minutes on a loaded 2-core machine
EARLY_KILL_SHARE = 0.15  # rounds killed during start-up / recovery itself
CITIZENS = 700  # each pays once for 2027, so the journeys need many payers


class Child:
    """The zygote process and the lines its workers write."""

    def __init__(self, cfg_path: Path, log: Path) -> None:
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, str(REPO / "tests" / "faults" / "journey_child.py"), str(cfg_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log.open("wb"),
            env=dict(os.environ, PYTHONPATH=str(REPO)),
        )
        self.lines: queue.Queue[tuple[str, str]] = queue.Queue()
        self.acked: set[str] = set()
        self.events: set[str] = set()
        self.journeys = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.expect("Z", 60)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            tag, _, text = raw.decode(errors="replace").rstrip("\n").partition(" ")
            if tag == "A":
                self.acked.add(text)
            elif tag == "E":
                self.events.add(text)
            elif tag == "J":
                self.journeys += 1
            else:
                self.lines.put((tag, text))

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def expect(self, tag: str, timeout: float, worker: int | None = None) -> str:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"child said no {tag!r} within {timeout} s\n{self.stacks(worker)}"
                )
            try:
                got, text = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if got == "X":
                raise AssertionError(f"worker failed: {text}")
            if got == tag:
                return text

    def stacks(self, worker: int | None) -> str:
        """The stalled worker's Python stacks (it dumps them to the log on
        SIGUSR2) and the end of the log."""
        if worker is not None:
            try:
                os.kill(worker, signal.SIGUSR2)
                time.sleep(1.0)
            except ProcessLookupError:
                return f"worker {worker} is gone"
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.send("quit")
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultHub]:
    process = start_fault_hub(
        tmp_path_factory.mktemp("kill-hub"), [citizen(i) for i in range(CITIZENS)]
    )
    process.enrol("故障测试终端")
    try:
        yield process
    finally:
        process.stop()


def journal_rows(path: Path) -> list[tuple[int, str, str, dict[str, Any]]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        rows = conn.execute("SELECT seq, key, kind, data FROM records ORDER BY seq").fetchall()
    finally:
        conn.close()
    return [(int(s), str(k), str(kind), json.loads(d)) for s, k, kind, d in rows]


def delivered_seq(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        row = conn.execute("SELECT seq FROM cursors WHERE name = 'hub'").fetchone()
    finally:
        conn.close()
    return 0 if row is None else int(row[0])


def known_orders(rows: list[tuple[int, str, str, dict[str, Any]]]) -> dict[str, str | None]:
    """Idempotency key → order number (None while the terminal never learnt it)."""
    orders: dict[str, str | None] = {}
    for _, _, kind, data in rows:
        if kind == "payment":
            key = str(data["key"])
            orders[key] = data.get("order_no") or orders.get(key)
    return orders


def check_ledger(ledger: dict[str, Any], *, all_final: bool) -> dict[str, int]:
    """No trade charged twice, money kept matches each order's state, one paid order
    per person; returns counts by status."""
    counts: dict[str, int] = {}
    paid_people: list[str] = []
    for order_no, o in ledger["orders"].items():
        counts[o["status"]] = counts.get(o["status"], 0) + 1
        assert o["charges"] <= 1, f"{order_no} charged {o['charges']} times"
        if o["status"] == "PAID":
            assert o["net_fen"] == o["amount_fen"], f"{order_no} PAID but kept {o['net_fen']}"
            paid_people += o["payers"]
        elif o["status"] in FINAL:
            assert o["net_fen"] == 0, f"{order_no} {o['status']} but kept {o['net_fen']} fen"
        else:
            assert not all_final, f"{order_no} still {o['status']}"
            assert 0 <= o["net_fen"] <= o["amount_fen"]
    assert len(paid_people) == len(set(paid_people)), "a person paid 2027 twice"
    return counts


def check_after_recovery(hub: FaultHub, journal_path: Path) -> None:
    rows = journal_rows(journal_path)
    ledger = hub.ledger()
    by_key = {o["key"]: (no, o) for no, o in ledger["orders"].items()}
    for key, order_no in known_orders(rows).items():
        if order_no is None:
            continue  # never answered: the hub's sweep ends it (checked at the end)
        assert key in by_key, f"order {order_no} of the journal unknown to the hub"
        assert by_key[key][1]["status"] in FINAL, (
            f"order {order_no} still {by_key[key][1]['status']} after start-up recovery"
        )
    check_ledger(ledger, all_final=False)
    hub_keys = hub_journal_keys(hub)
    through = delivered_seq(journal_path)
    missing = [k for s, k, _, _ in rows if s <= through and k not in hub_keys]
    assert not missing, f"acknowledged by the hub but not stored: {missing[:5]}"


def hub_journal_keys(hub: FaultHub) -> dict[str, int]:
    return dict(
        hub.query(
            "SELECT key, COUNT(*) FROM fleet_journal WHERE terminal_id = ? GROUP BY key",
            (hub.terminal_id,),
        )
    )


def test_kill9_during_journeys_loses_nothing_and_charges_once(
    hub: FaultHub, tmp_path: Path
) -> None:
    started = time.monotonic()
    rng = random.Random(int(os.environ.get("HUIMIN_FAULT_SEED", "20261122")))
    term = tmp_path / "terminal"
    term.mkdir()
    cfg = {
        "dir": str(term),
        "url": hub.url,
        "token": hub.token,
        "terminal_id": hub.terminal_id,
        "key_file": str(hub.key_file),
        # What the simulated cards carry: the number and the card's evidence.
        "citizens": [
            {k: c[k] for k in ("key", "id_number", "valid_from", "valid_to", "authority")}
            for c in hub.citizens
        ],
    }
    cfg_path = tmp_path / "child.json"
    cfg_path.write_text(json.dumps(cfg), encoding="utf-8")
    child = Child(cfg_path, tmp_path / "child.log")
    journal_path = term / "journal.sqlite"
    kills = early = 0
    try:
        for round_no in range(KILLS):
            assert time.monotonic() - started < BUDGET_S, f"only {kills} kills in {BUDGET_S} s"
            code = hub.proc.poll()
            assert code is None, f"the hub process exited ({code}) after {kills} kills"
            early += kill_one_worker(child, hub, journal_path, rng, round_no)
            kills += 1
            check_nothing_acknowledged_lost(child, journal_path, kills)
        child.send("drain 1")
        pid = int(child.expect("P", 30))
        assert child.expect("F", 90) == "1", "final delivery did not finish"
        child.send(f"reap {pid}")
        child.expect("D", 30)
    finally:
        child.close()

    # Orders the terminal never learnt the number of end by the hub's sweep.
    deadline = time.monotonic() + 30
    ledger = hub.ledger()
    while any(o["status"] not in FINAL for o in ledger["orders"].values()):
        assert time.monotonic() < deadline, "orders still open 30 s after the last kill"
        time.sleep(0.5)
        ledger = hub.ledger()
    counts = check_ledger(ledger, all_final=True)
    assert ledger["mismatches"] == [], ledger["mismatches"]

    rows, hub_events = check_delivered_once(hub, term, child)
    payments = known_orders(rows)
    assert counts.get("PAID", 0) >= KILLS // 10, f"too few paid orders to mean anything: {counts}"
    assert child.journeys >= KILLS // 4
    print(
        f"\nkill -9: {kills} kills ({early} during start-up), {child.journeys} journeys, "
        f"{len(child.acked)} acknowledged journal records, {len(rows)} in journal and hub, "
        f"{len(hub_events)} events, {len(payments)} payment keys, hub orders {counts}, "
        f"0 lost, 0 duplicated, 0 double charges, {time.monotonic() - started:.0f} s"
    )


def kill_one_worker(
    child: Child, hub: FaultHub, journal_path: Path, rng: random.Random, round_no: int
) -> bool:
    """Start a worker and kill -9 it: during start-up (True) or, after its recovery
    was checked, during its journeys (False)."""
    child.send(f"fork {rng.randrange(1 << 30)}")
    pid = int(child.expect("P", 30))
    early = bool(round_no) and rng.random() < EARLY_KILL_SHARE
    if early:
        time.sleep(rng.uniform(0.0, 0.05))  # during the integrity check or recovery
    else:
        ok, _checked = child.expect("V", 30, worker=pid).split()
        assert ok == "1", f"journal integrity failed at restart {round_no}"
        child.expect("R", 60, worker=pid)
        check_after_recovery(hub, journal_path)
        os.kill(pid, signal.SIGUSR1)
        time.sleep(rng.uniform(0.0, 0.5))
    os.kill(pid, signal.SIGKILL)
    child.send(f"reap {pid}")
    child.expect("D", 30)
    return early


def check_nothing_acknowledged_lost(child: Child, journal_path: Path, kills: int) -> None:
    journal = Journal(journal_path)
    try:
        report = journal.verify()
        keys = {r.key for r in journal.records()}
    finally:
        journal.close()
    assert report.ok, report.summary()
    lost = child.acked - keys
    assert not lost, f"acknowledged records lost after kill {kills}: {sorted(lost)[:5]}"


def check_delivered_once(
    hub: FaultHub, term: Path, child: Child
) -> tuple[list[tuple[int, str, str, dict[str, Any]]], dict[str, int]]:
    """Every journal record and event reached the hub exactly once; returns the
    journal's rows and the hub's events."""
    rows = journal_rows(term / "journal.sqlite")
    hub_keys = hub_journal_keys(hub)
    assert set(hub_keys) == {k for _, k, _, _ in rows}
    assert set(hub_keys.values()) == {1}, "a journal record stored twice"
    assert child.acked <= set(hub_keys)
    event_rows = journal_rows(term / "events.sqlite")
    hub_events = dict(
        hub.query(
            "SELECT key, COUNT(*) FROM fleet_events WHERE terminal_id = ? GROUP BY key",
            (hub.terminal_id,),
        )
    )
    assert {k for _, k, _, _ in event_rows} == set(hub_events)
    assert set(hub_events.values()) == {1}
    assert child.events <= set(hub_events)
    return rows, hub_events

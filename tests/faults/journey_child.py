"""Scripted journeys through the terminal's own journal, payment, printing and
fleet-agent code, without the UI — the process the kill test kills.

Why no UI: a full terminal start (pygame, fonts, the simulated devices on
ptys) costs over a second of CPU on the CI machine; 200 kills would take
minutes. What the kill test is about — the journal, the outboxes, payment
recovery and printing — runs below the screens, so this child drives exactly
those objects the way the screens do (journal before every side effect,
``PaymentOrder`` for each order, ``recover_unfinished`` at start-up).

Run as a *zygote*: ``python journey_child.py CONFIG.json`` imports everything
once and then, for each ``fork SEED`` line on stdin, forks a worker (a fresh
terminal process: new memory, the same files) and answers ``P <pid>``;
``reap <pid>`` waits for a killed worker and answers ``D <pid>``. A worker
writes one line per fact to stdout (``os.write``: atomic on a pipe, and in the
kernel's buffer before a kill can lose it):

- ``V <ok> <checked>``  start-up integrity check of the journal;
- ``R <json>``          start-up payment recovery done (then waits for SIGUSR1);
- ``A <key>``           a journal record committed (acknowledged to the app);
- ``E <key>``           an event committed to the agent's event store;
- ``J <n>``             journey ``n`` finished.

With ``drain SEED`` the worker recovers, delivers everything and exits 0.
"""

from __future__ import annotations

import faulthandler
import json
import os
import random
import signal
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from drivers.printer import open_printer  # noqa: E402
from drivers.printer.receipt import Receipt  # noqa: E402
from drivers.printer.render import render_receipt_bytes  # noqa: E402
from drivers.sim.printer import VirtualPrinter  # noqa: E402
from kiosk.agent import Credential, CredentialStore, FleetAgent  # noqa: E402
from kiosk.flows import Flows  # noqa: E402
from kiosk.flows.payment_order import PaymentOrder  # noqa: E402
from kiosk.flows.payment_recovery import recover_unfinished  # noqa: E402
from kiosk.hub_client import HubClient, HubError, HubUnavailable  # noqa: E402
from kiosk.hub_client.models import Order  # noqa: E402
from kiosk.i18n import Translator  # noqa: E402
from kiosk.journal import Journal  # noqa: E402
from kiosk.receipts import from_printable  # noqa: E402
from kiosk.recording import Recorder  # noqa: E402
from kiosk.sealed import write_private_file  # noqa: E402
from kiosk.session import Identity  # noqa: E402
from kiosk.signing import TerminalKey, signing_key_path  # noqa: E402
from tests.faults.hubproc import card_identity  # noqa: E402

TERMINAL = "故障测试终端"
SERVICE_POINT = "dbt-zhangzhuang"
GOOD_CODE = "134567890123456789"  # WeChat-shaped; the sandbox customer pays
DECLINED_CODE = "134567890123450000"  # ends 0000: declined for lack of funds
POLL_SLEEP_S = 0.05  # real time between order queries (protocol time is compressed)


def emit(tag: str, text: str) -> None:
    os.write(1, f"{tag} {text}\n".encode())


class Host:
    """The app as the fleet agent sees it: no screen, nothing personal on it."""

    def status_snapshot(self) -> dict[str, Any]:
        return {"version": "fault-test", "uptime_s": 1, "devices": [], "screen": "none"}

    def personal_data_on_screen(self) -> bool:
        return False

    def take_screenshot(self) -> bytes | None:
        return None

    def run_command(self, kind: str, args: dict[str, Any], timeout_s: float) -> tuple[bool, str]:
        return False, "not supported by the fault-test child"


class Worker:
    def __init__(self, cfg: dict[str, Any], seed: int) -> None:
        self.cfg = cfg
        self.rng = random.Random(seed)
        self.dir = Path(cfg["dir"])
        self.tr = Translator("zh_CN")
        self.journal = Journal(self.dir / "journal.sqlite")
        self.journal.add_listener(lambda r: emit("A", r.key))
        self.recorder = Recorder(self.journal)
        token = cfg["token"]
        client = HubClient(lambda: cfg["url"], token=lambda: token, timeout_s=5.0)
        key = TerminalKey.load(signing_key_path(self.dir / "credential.json"))
        self.flows = Flows.over(client, service_point=SERVICE_POINT, signing_key=lambda: key)
        self.agent: FleetAgent | None = None
        self.printer_sim = VirtualPrinter()
        self.printer: Any = None

    def start_up(self) -> None:
        report = self.journal.verify()
        emit("V", f"{int(report.ok)} {report.checked}")
        self.recorder.event("journal_integrity", {"ok": report.ok})
        results = recover_unfinished(
            self.flows.payments,
            self.journal.records(),
            record=self.recorder.record,
            attempts=8,
            wait_s=0.25,
        )
        emit("R", json.dumps([r.__dict__ for r in results]))

    def start_agent(self) -> None:
        agent = FleetAgent(
            self.cfg["url"],
            None,
            self.dir / "credential.json",
            None,
            TERMINAL,
            {"county": "兰考县"},
            Host(),
            1.0,
            journal=self.journal,
            events_path=self.dir / "events.sqlite",
            long_poll_s=2,
            retry_cap_s=1.0,
        )
        agent.events.add_listener(lambda r: emit("E", r.key))
        self.agent = agent
        self.recorder.agent = agent
        agent.start()
        port = self.printer_sim.start()
        self.printer = open_printer(
            {"type": "network", "host": "127.0.0.1", "port": port, "timeout": 2.0}
        )

    # -- one journey -----------------------------------------------------------------------

    def journey(self, n: int) -> None:
        session = uuid.uuid4().hex[:12]
        self.recorder.record("session_start", {"session": session})
        person = self.rng.choice(self.cfg["citizens"])
        identity = card_identity(person)  # the card on the reader
        self.recorder.record("service_step", {"session": session, "step": "query"})
        try:
            self.flows.queries.medical(identity)
            owed = self.flows.payments.quote(identity, []).total_fen
        except HubError:
            owed = 0
        completed = False
        if owed > 0:
            completed = self.pay(identity)
        self.flows.person.close()  # the kiosk session ends
        self.recorder.record("rating", {"service_id": "pay.resident_medical", "level": 5})
        summary = {"session": session, "completed": completed, "journey": n}
        self.recorder.record("session_end", summary)
        self.recorder.event("session_summary", summary)

    def pay(self, identity: Identity) -> bool:
        method = "native" if self.rng.random() < 0.3 else "micropay"
        code = None
        if method == "micropay":
            code = DECLINED_CODE if self.rng.random() < 0.2 else GOOD_CODE
        flow = PaymentOrder(
            self.flows.payments,
            self.recorder.record,
            "resident_medical_2027",
            1,
            method=method,
            identity=identity,
        )
        now = 0.0
        try:
            flow.apply(flow.begin_create([identity.id_number], now, code)())
        except HubError:
            return False  # refused (declined, busy): nothing to follow
        paid_by_phone = False
        for _ in range(60):
            if flow.final:
                break
            time.sleep(POLL_SLEEP_S)
            now += 3.0  # protocol time: one query interval per poll
            if method == "native" and not paid_by_phone and self.rng.random() < 0.8:
                flow.begin_sandbox_pay()()  # the simulated phone pays the QR
                paid_by_phone = True
            if flow.over_limit(now) and not flow.cancel_sent:
                work = flow.begin_cancel(now)
            else:
                work = flow.begin_query(now)
            try:
                flow.apply(work())
            except HubError as exc:
                if exc.status != 409:
                    raise
        if flow.status == "PAID" and flow.view is not None:
            self.print_receipt(flow.view)
            return True
        return False

    def print_receipt(self, order: Order) -> None:
        assert order.printable is not None  # a PAID order carries its 缴费凭证
        receipt = from_printable(
            order.printable, tr=self.tr, terminal=TERMINAL, now=datetime.now(UTC)
        )
        self.recorder.record("print", {"title": receipt.title})  # before the side effect
        self.printer.print_receipt(receipt)

    # -- modes -----------------------------------------------------------------------------

    def run(self) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
        self.start_up()
        # The parent checks the hub right after recovery, then lets the journeys go.
        signal.sigtimedwait({signal.SIGUSR1}, 30)
        self.start_agent()
        for n in range(100000):
            try:
                self.journey(n)
            except HubUnavailable:
                time.sleep(0.05)
            emit("J", str(n))

    def drain(self, timeout: float) -> int:
        self.start_up()
        self.start_agent()
        agent = self.agent
        assert agent is not None and agent.journal_outbox is not None
        ok = agent.journal_outbox.flush(timeout) and agent.event_outbox.flush(timeout)
        agent.close()
        self.journal.close()
        emit("F", str(int(ok)))
        return 0 if ok else 1


def _worker(cfg: dict[str, Any], mode: str, seed: int) -> None:
    code = 1
    # A worker that hangs is asked for its stacks (SIGUSR2) before the parent
    # gives up on it, so a rare stall under load says where it stood.
    faulthandler.register(signal.SIGUSR2, all_threads=True)
    try:
        worker = Worker(cfg, seed)
        if mode == "drain":
            code = worker.drain(30.0)
        else:
            worker.run()
    except BaseException as exc:  # report and exit: the parent reads why
        emit("X", repr(exc).replace("\n", " ")[:500])
    finally:
        os._exit(code)


def main() -> None:
    cfg = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    if not (Path(cfg["dir"]) / "credential.json").exists():
        # The terminal's key is the one it enrolled with: beside its credential.
        key_path = signing_key_path(Path(cfg["dir"]) / "credential.json")
        write_private_file(key_path, Path(cfg["key_file"]).read_bytes(), replace=True)
        key_id = TerminalKey.load_or_create(key_path).key_id
        CredentialStore(Path(cfg["dir"]) / "credential.json").save(
            Credential(cfg["terminal_id"], cfg["token"], cfg["url"], key_id)
        )
    # python-escpos loads its printer profiles on first use (~0.7 s): once here,
    # not in every worker, or most kills would land before the first journey.
    escpos_cache = Path(cfg["dir"]) / "escpos"
    escpos_cache.mkdir(exist_ok=True)
    os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(escpos_cache))
    warm = open_printer({"type": "network", "host": "127.0.0.1", "port": 9, "timeout": 2.0})
    render_receipt_bytes(Receipt(title="warm-up", lines=[], qr="warm-up"), warm.settings)
    emit("Z", "ready")
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        if parts[0] in ("fork", "drain"):
            pid = os.fork()
            if pid == 0:
                _worker(cfg, parts[0], int(parts[1]))
            emit("P", str(pid))
        elif parts[0] == "reap":
            os.waitpid(int(parts[1]), 0)
            emit("D", parts[1])
        elif parts[0] == "quit":
            break


if __name__ == "__main__":
    main()

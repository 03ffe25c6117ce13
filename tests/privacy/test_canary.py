"""Privacy canary: a person who exists only in this test goes through the real
terminal (``kiosk.runtime.Terminal``, headless, simulated devices, real
journal, fleet agent and speech service) against a real hub process whose
demo provider knows them (a temp copy of the demo data). Journeys: a query
printed, an application, a payment with its receipt, ratings, screenshots.

Then every place their data could leak is searched for the canary's full ID
number, name, bank card number (PAN) and photo bytes: all logging of this
process (DEBUG, with tracebacks), its stdout/stderr, the hub's output (DEBUG
and access log), the journal and event SQLite files (with their WAL), the
credential directory, the speech cache, the printed bytes (raw and decoded),
screenshots, and the hub database — every table's text, and the file bytes
after removing the demo provider's tables. Those tables are the simulated
provincial platform, the one place that legitimately holds the person's
record (reported, not counted). The canary hit count must be 0.

Every number shown on screen or printed must follow the masks (ID first 4 +
last 4, PAN first 6 + last 4, phone 3 + 4, name first and last character).
"""

from __future__ import annotations

import base64
import json
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pygame
import pytest

from drivers.idcard.codes import id_check_char
from drivers.sim.demo_cards import SimCard, load_demo_cards
from drivers.sim.escpos_decode import decode
from kiosk.config import KioskConfig
from kiosk.runtime import Terminal
from protocol.person_session import demo_photo
from screens import SCREENS
from tests.e2e.conftest import Kiosk
from tests.faults.hubproc import FaultHub, citizen, luhn_complete, start_fault_hub
from tools.headless import FakeClock

CANARY_ID = "41022519770707123" + id_check_char("41022519770707123")
CANARY_NAME = "欧阳金丝雀"
CANARY_PAN = luhn_complete("621700998877665544")
CANARY_PHONE = "13703786542"
# The photo the hub's demo provider knows for the canary's card (its evidence).
CANARY_PHOTO = demo_photo("canary")
GOOD_CODE = "134567890123456789"
TERMINAL = "金丝雀测试终端"

ID_MASK = CANARY_ID[:4] + "*" * 10 + CANARY_ID[-4:]
PAN_MASK = CANARY_PAN[:6] + "*" * (len(CANARY_PAN) - 10) + CANARY_PAN[-4:]
PHONE_MASK = CANARY_PHONE[:3] + "****" + CANARY_PHONE[-4:]
NAME_MASK = CANARY_NAME[0] + "*" * (len(CANARY_NAME) - 2) + CANARY_NAME[-1]


def canary_citizen() -> dict[str, Any]:
    entry = citizen(900, name=CANARY_NAME, id_number=CANARY_ID, pan=CANARY_PAN)
    entry.update(key="canary", phone=CANARY_PHONE)
    return entry


def needles() -> dict[str, list[bytes]]:
    """What must not appear, in the encodings it could take."""
    photo = CANARY_PHOTO[100:164]
    out: dict[str, list[bytes]] = {
        "photo": [photo, photo.hex().encode(), base64.b64encode(photo)],
    }
    for label, text in (("id", CANARY_ID), ("name", CANARY_NAME), ("pan", CANARY_PAN)):
        out[label] = [text.encode("utf-8"), text.encode("gb18030"), text.encode("utf-16-le")]
        if text.isascii():
            spaced = " ".join(text[i : i + 4] for i in range(0, len(text), 4))
            out[label].append(spaced.encode())
        else:
            escaped = json.dumps(text).strip('"').encode()  # JSON with ensure_ascii
            out[label].append(escaped)
    return out


def hits_in(where: str, data: bytes) -> list[str]:
    return [f"{what} in {where}" for what, forms in needles().items() for f in forms if f in data]


class LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
def canary_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultHub]:
    process = start_fault_hub(
        tmp_path_factory.mktemp("canary-hub"), [canary_citizen()], debug_log=True
    )
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def log_capture() -> Iterator[LogCapture]:
    handler = LogCapture()
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old)


def canary_card(tmp_path: Path) -> SimCard:
    path = tmp_path / "canary.json"
    path.write_text(json.dumps({"citizens": [canary_citizen()]}), encoding="utf-8")
    sim = load_demo_cards(path)[0]
    sim.card.photo[:] = CANARY_PHOTO
    return sim


def on_ui_thread_free(k: Kiosk, call: Callable[[], Any]) -> Any:
    """Run ``call`` (which waits for the UI loop) on a thread while the loop runs."""
    box: list[Any] = []
    thread = threading.Thread(target=lambda: box.append(call()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while thread.is_alive() and time.monotonic() < deadline:
        k.app.step()
        time.sleep(0.01)
    assert box, "call did not return"
    return box[0]


@dataclass
class CanaryVisits:
    """The canary's three visits on a real terminal, and what they showed."""

    term: Terminal
    k: Kiosk
    card: SimCard
    shown: list[str] = field(default_factory=list)
    screenshots: list[bytes | None] = field(default_factory=list)

    @property
    def devices(self) -> Any:
        return self.term.devices

    def look(self) -> None:
        self.shown.append(self.k.shown_text())

    def place(self) -> None:
        app = self.k.app
        self.devices.sim_idcard.remove()
        pause = time.monotonic() + 1.0  # two polls of the reader: it sees the card go
        while time.monotonic() < pause:
            app.step()
            time.sleep(0.02)
        self.devices.sim_idcard.place(self.card)
        self.k.wait_for(lambda: app.session.identity is not None, what="canary card read")

    def screenshot(self) -> bytes | None:
        assert self.term.agent is not None
        shot: bytes | None = on_ui_thread_free(self.k, self.term.agent.host.take_screenshot)
        self.screenshots.append(shot)
        return shot

    def finish(self) -> None:
        app = self.k.app
        self.devices.sim_idcard.remove()
        if app.session.serving:
            app.lifecycle.end(completed=True)
        self.k.settle()

    def rated(self, level: str) -> None:
        k = self.k
        k.choose("done")
        assert k.screen.name == "rate", k.screen.name
        k.choose(level)

    def query(self) -> None:
        """A query, printed, rated; a screenshot asked for while it is on screen."""
        k = self.k
        k.key(pygame.K_RETURN)
        k.key(pygame.K_F3)  # voice guidance: everything shown is also spoken
        k.choose("query")
        k.choose("pension")
        self.place()
        k.wait_for(lambda: k.screen.name == "query_result" and k.screen.result is not None)
        self.look()
        assert self.screenshot() is None, "a screenshot was taken with personal data on screen"
        k.choose("print")
        self.look()
        self.rated("level_1")
        self.finish()

    def application(self) -> None:
        """An application (consent, phone typed on the keypad, slip printed)."""
        k = self.k
        k.key(pygame.K_RETURN)
        k.choose("apply")
        k.wait_for(lambda: k.screen.name == "apply_menu" and k.screen.data is not None)
        k.choose_in_groups("topic_ZR16")
        k.choose_in_groups("item_rsi_resident_pension_enrol")
        k.wait_for(lambda: k.screen.name == "guide" and k.screen.data is not None)
        k.choose("start_apply")
        self.place()
        k.wait_screen("consent")
        k.choose("agree")
        self.look()
        k.choose("phone")
        k.digits(CANARY_PHONE)
        k.key(pygame.K_RETURN)
        self.look()
        k.choose("next")
        k.choose_in_groups("grade_300")
        k.choose("post")
        self.look()
        k.key(pygame.K_RETURN)
        k.wait_screen("apply_slip", timeout=15)
        self.look()
        self.rated("level_1")
        self.finish()

    def payment(self) -> None:
        """A payment by payment code, with its receipt, rated 不满意 with a reason."""
        k = self.k
        k.key(pygame.K_RETURN)
        k.choose("pay")
        k.choose("medical")
        self.place()
        k.wait_for(lambda: k.screen.name == "pay_people" and k.screen.data is not None)
        self.look()
        k.choose("next")
        self.look()
        k.choose("pay_code")
        k.scan(GOOD_CODE)
        k.wait_screen("pay_done", timeout=30)
        self.look()
        self.rated("level_4")
        k.choose("many_visits")
        k.choose("submit")
        self.finish()

    def delivered(self) -> None:
        """Let the outboxes deliver, so the hub holds the journal too."""
        agent = self.term.agent
        assert agent is not None and agent.journal_outbox is not None
        deadline = time.monotonic() + 30
        while agent.journal_outbox.backlog() and time.monotonic() < deadline:
            self.k.app.step()
            time.sleep(0.05)
        assert agent.journal_outbox.backlog() == 0


def test_canary_leaves_no_trace(
    canary_hub: FaultHub,
    tmp_path: Path,
    log_capture: LogCapture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    var = tmp_path / "var"
    config = KioskConfig.model_validate(
        {
            "terminal": {"name": TERMINAL, "service_point": "dbt-zhangzhuang"},
            "hub": {
                "url": canary_hub.url,
                "credential_path": str(var / "credential.json"),
                "enrolment_code": "DEMO-ENROL",
                "heartbeat_interval_s": 5,
            },
            "journal": {"path": str(var / "journal.sqlite")},
            "speech": {"enabled": True, "cache_dir": str(var / "speech-cache")},
            "display": {"fullscreen": False},
        }
    )
    term = Terminal(config, screens=SCREENS, window=(1280, 800))
    app = term.build()
    devices = term.devices
    assert devices is not None
    k = Kiosk(app, devices, cast(Any, None), [], FakeClock())
    visits = CanaryVisits(term, k, canary_card(tmp_path))
    try:
        k.wait_for(lambda: term.agent is not None, timeout=30, what="agent")
        k.wait_for(lambda: devices.available("printer")[0], what="printer online")
        visits.query()
        visits.application()
        visits.payment()
        after = visits.screenshot()
        assert after is not None and after.startswith(b"\x89PNG"), "no screenshot after the end"
        visits.delivered()
        jobs = devices.sim_printer.wait_for_jobs(3, 10)
    finally:
        term.close()
    assert len(jobs) >= 3, f"expected 3 printed receipts, got {len(jobs)}"
    ratings = canary_hub.query("SELECT COUNT(*) FROM svc_ratings")[0][0]
    paid = canary_hub.query("SELECT COUNT(*) FROM svc_pay_orders WHERE status = 'PAID'")[0][0]
    applied = canary_hub.query("SELECT COUNT(*) FROM svc_applications")[0][0]
    assert ratings == 3 and paid == 1 and applied == 1, (ratings, paid, applied)

    printed_text = "\n".join(line for job in jobs for line in decode(job).text_lines)
    out, err = capfd.readouterr()
    traces = {
        **{f"print job {n}": job for n, job in enumerate(jobs)},
        "printed text": printed_text.encode(),
        "logging": "\n".join(log_capture.lines).encode(),
        "stdout/stderr": (out + err).encode(),
        "hub output": canary_hub.log_path.read_bytes(),
        **{
            str(path.relative_to(tmp_path)): path.read_bytes()
            for path in sorted(var.rglob("*"))
            if path.is_file()
        },
        **{f"screenshot {n}": shot or b"" for n, shot in enumerate(visits.screenshots)},
    }
    hits = [hit for where, data in traces.items() for hit in hits_in(where, data)]
    hits += hub_database_hits(canary_hub, tmp_path)
    hits += hits_in("speech history", "\n".join(app.voice.history).encode())

    texts = "\n".join([*visits.shown, printed_text])
    masked = check_masks(texts)
    assert ID_MASK in texts and NAME_MASK in texts
    cached = len(list((var / "speech-cache").rglob("*.wav")))
    shots = visits.screenshots
    print(
        f"\ncanary: {len(hits)} hits; {len(jobs)} receipts, {len(visits.shown)} screens, "
        f"{len(log_capture.lines)} log lines, {canary_hub.log_path.stat().st_size} bytes of hub "
        f"log, {cached} cached prompts, {len(shots)} screenshot requests "
        f"({sum(s is None for s in shots)} refused), masked numbers seen: {masked}"
    )
    assert hits == [], hits


def check_masks(text: str) -> dict[str, int]:
    """Every digit run shown or printed that could be a number of the person follows
    its mask; returns how many of each were seen."""
    seen = {"id": 0, "pan": 0, "phone": 0}
    # Whole runs only: "HM2026112212001782a9…" is an order number, not a personal one.
    for token in re.findall(r"(?<![0-9A-Za-z])[0-9][0-9*Xx]{9,}[0-9Xx](?![0-9A-Za-z])", text):
        if "*" not in token:
            # 16-19 digits: the shape of an ID number, a PAN or a payment code
            # (kiosk/journal/personal.py); longer runs are document numbers.
            assert not 16 <= len(token) <= 19, f"unmasked number shown or printed: {token[:4]}…"
            continue
        if token.startswith(CANARY_ID[:4]) and len(token) == 18:
            assert token == ID_MASK, token
            seen["id"] += 1
        elif len(token) == len(CANARY_PAN) and token.startswith(CANARY_PAN[:6]):
            assert token == PAN_MASK, token
            seen["pan"] += 1
        elif len(token) == 11:
            assert token == PHONE_MASK, token
            seen["phone"] += 1
    assert CANARY_NAME not in text
    return seen


def hub_database_hits(hub: FaultHub, tmp_path: Path) -> list[str]:
    """Every table's text, then the bytes of a copy without the demo provider's tables."""
    hits: list[str] = []
    tables = [t for (t,) in hub.query("SELECT name FROM sqlite_master WHERE type = 'table'")]
    legit = [t for t in tables if t.startswith("svc_demo_")]
    # The simulated platform holds the person: the search does find them there.
    platform = " ".join(map(str, hub.query("SELECT * FROM svc_demo_persons")))
    assert {"id", "name", "pan"} <= {h.split()[0] for h in hits_in("platform", platform.encode())}
    for table in tables:
        if table in legit:
            continue
        for row in hub.query(f'SELECT * FROM "{table}"'):
            hits += hits_in(f"hub table {table}", repr(row).encode("utf-8"))
            hits += hits_in(f"hub table {table}", " ".join(map(str, row)).encode("utf-8"))
    copy = tmp_path / "hub-copy.db"
    conn = sqlite3.connect(f"file:{hub.db_path}?mode=ro", uri=True)
    try:
        conn.execute("VACUUM INTO ?", (str(copy),))
    finally:
        conn.close()
    conn = sqlite3.connect(copy)
    try:
        conn.execute("PRAGMA secure_delete = ON")
        for table in legit:
            conn.execute(f'DELETE FROM "{table}"')
        conn.commit()
        conn.execute("VACUUM")
    finally:
        conn.close()
    hits += hits_in("hub database bytes (demo tables removed)", copy.read_bytes())
    return hits

"""The fault tests' hub: ``tests/faults/fault_hub.py`` as a child process,
with its own citizens (generated, valid GB 11643 check characters and Luhn
card numbers) in a temp copy of the demo data, and helpers to read its
SQLite database and the sandbox ledger."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import requests

from drivers.idcard.codes import id_check_char
from kiosk.session import Identity
from kiosk.signing import TerminalKey
from protocol.person_session import demo_photo, photo_digest

REPO = Path(__file__).resolve().parents[2]
ENROL_CODE = "DEMO-ENROL"
HUB_SECRET = "fault-tests-secret-0123456789"
FINAL = frozenset({"PAID", "CLOSED", "REVOKED", "REFUNDED", "FAILED"})


def luhn_complete(first: str) -> str:
    """``first`` plus its Luhn check digit (a bank card number, PAN)."""
    total = 0
    for i, ch in enumerate(reversed(first)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return first + str((10 - total % 10) % 10)


def citizen(
    index: int, *, name: str | None = None, id_number: str | None = None, pan: str | None = None
) -> dict[str, Any]:
    """One citizen for the hub's demo provider and the card simulators."""
    birth = date(1950, 1, 1) + timedelta(days=37 * index)
    first17 = f"410225{birth:%Y%m%d}{index % 1000:03d}"
    number = id_number or first17 + id_check_char(first17)
    sex = "1" if int(number[16]) % 2 else "2"
    return {
        "key": f"fault_{index}",
        "name": name or f"测试{'甲乙丙丁戊己庚辛'[index % 8]}民",
        "sex": sex,
        "nation": "01",
        "birth": number[6:14],
        "address": "河南省兰考县东坝头镇张庄村9组9号",
        "id_number": number,
        "authority": "兰考县公安局",
        "valid_from": "20200101",
        "valid_to": "长期",
        "place": {"town": "东坝头镇", "village": "张庄村"},
        "ss_card_number": f"H4190{index:04d}",
        "bank_pan": pan or luhn_complete(f"621700{index:012d}"),
        "bank_expiry": "3105",
        "phone": f"1390378{index % 10000:04d}",
        "profile": "fault-test citizen",
    }


def card_identity(person: dict[str, Any]) -> Identity:
    """The identity a card reader gives for ``person`` (a citizens.json entry): the
    number and the card's evidence, as the ID-card simulator makes its card."""
    valid_to = person["valid_to"]
    return Identity(
        source="idcard",
        name=person.get("name", ""),
        id_number=person["id_number"],
        birth_date=None,
        evidence={
            "kind": "idcard",
            "id_number": person["id_number"],
            "photo_sha256": photo_digest(demo_photo(person["key"])),
            "valid_from": _iso(person["valid_from"]),
            "valid_to": None if valid_to == "长期" else _iso(valid_to),
            "authority": person["authority"],
        },
    )


def _iso(yyyymmdd: str) -> str:
    return f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:]}"


@dataclass
class FaultHub:
    """A running fault hub; ``url`` is its base URL, ``token`` a terminal credential."""

    workdir: Path
    proc: subprocess.Popen[bytes]
    url: str
    db_path: Path
    log_path: Path
    token: str = ""
    terminal_id: int = 0
    citizens: list[dict[str, Any]] = field(default_factory=list)
    key: TerminalKey | None = None
    """The enrolled terminal's signing key (its file: :attr:`key_file`)."""

    @property
    def key_file(self) -> Path:
        return self.workdir / "signing-key.pem"

    def enrol(self, name: str) -> tuple[int, str]:
        self.key = TerminalKey.load_or_create(self.key_file)
        resp = requests.post(
            self.url + "/api/v1/terminal/enrol",
            json={
                "code": ENROL_CODE,
                "name": name,
                "place": {"county": "兰考县"},
                "public_key": self.key.public_key,
            },
            timeout=10,
        )
        resp.raise_for_status()
        body = resp.json()
        self.terminal_id, self.token = int(body["terminal_id"]), str(body["token"])
        return self.terminal_id, self.token

    def ledger(self) -> dict[str, Any]:
        resp = requests.get(self.url + "/_faults/ledger", timeout=10)
        resp.raise_for_status()
        result: dict[str, Any] = resp.json()
        return result

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read the hub's SQLite database (read-only; WAL lets the hub keep writing)."""
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        try:
            return list(conn.execute(sql, params).fetchall())
        finally:
            conn.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def start_fault_hub(
    workdir: Path, citizens: list[dict[str, Any]], *, debug_log: bool = False
) -> FaultHub:
    """Start the fault hub in ``workdir`` with ``citizens`` as its demo people;
    ``debug_log`` makes it log everything (to ``log_path``)."""
    demo = workdir / "config" / "demo"
    demo.mkdir(parents=True, exist_ok=True)
    (demo / "citizens.json").write_text(
        json.dumps({"citizens": citizens}, ensure_ascii=False), encoding="utf-8"
    )
    config = workdir / "hub.toml"
    config.write_text(
        "[hub]\n"
        f'secret_key = "{HUB_SECRET}"\n'
        f'catalogue_path = "{REPO / "config" / "catalogue.json"}"\n'
        "heartbeat_interval_s = 5\n",
        encoding="utf-8",
    )
    db_path = workdir / "hub.db"
    port_file = workdir / "port"
    log_path = workdir / "hub.log"
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    if debug_log:
        env["FAULT_HUB_LOG"] = "debug"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                str(REPO / "tests" / "faults" / "fault_hub.py"),
                "--config",
                str(config),
                "--database-url",
                f"sqlite:///{db_path}",
                "--port-file",
                str(port_file),
            ],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    url = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"fault hub exited: {log_path.read_text()[-3000:]}")
        if not url and port_file.exists():
            url = f"http://127.0.0.1:{int(port_file.read_text())}"
        if url:
            try:
                if requests.get(url + "/healthz", timeout=1).ok:
                    return FaultHub(workdir, proc, url, db_path, log_path, citizens=citizens)
            except requests.RequestException:
                pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("fault hub did not start within 60 s")

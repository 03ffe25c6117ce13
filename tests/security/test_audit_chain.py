"""The audit log is tamper-evident: a row altered in the database is named by
``python -m hub audit verify``; the export is formula-safe. And attack 14's
first part: failed enrolments leave an audit row."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, select, update

from hub.fleet.models import AuditEntry
from tests.hub.conftest import REPO
from tests.security.attacked_hub import AttackedHub, attacked_hub


def hub_command(hub: AttackedHub, *args: str) -> subprocess.CompletedProcess[str]:
    config = next(hub.workdir.glob("hub-*.toml"))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "hub",
            *args,
            "--config",
            str(config),
            "--database-url",
            hub.database_url,
        ],
        check=False,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )


def test_failed_enrolments_are_audited(tmp_path: Path) -> None:
    with attacked_hub(tmp_path) as hub, hub.client() as c:
        for code in ("GUESS-0001", "GUESS-0002"):
            reply = c.post(
                "/api/v1/terminal/enrol",
                json={"code": code, "name": "来历不明", "place": {"county": "兰考县"}},
            )
            assert reply.status_code == 403
        engine = create_engine(hub.database_url)
        with engine.connect() as conn:
            rows = conn.execute(
                select(AuditEntry).where(AuditEntry.action == "terminal_enrol_failed")
            ).all()
        engine.dispose()
    assert len(rows) == 2
    assert all(r.result == "failed" and r.client == "127.0.0.1" for r in rows)
    assert all("来历不明" in r.detail and "GUESS" not in r.detail for r in rows)


def test_an_altered_row_is_named_by_audit_verify(tmp_path: Path) -> None:
    with attacked_hub(tmp_path) as hub, hub.client() as c:
        form = c.get("/console/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        failed = c.post(
            "/console/login",
            data={"username": "=HYPERLINK(1)", "password": "x", "csrf_token": token.group(1)},
        )
        assert failed.status_code == 401  # a failed login: a row
        hub.operator(c)  # a login: a row
        hub.terminal(c)  # an enrolment: a row
        intact = hub_command(hub, "audit", "verify")
        assert intact.returncode == 0, intact.stdout + intact.stderr
        assert "intact" in intact.stdout

        engine = create_engine(hub.database_url)
        with engine.begin() as conn:
            victim = conn.execute(
                select(AuditEntry.seq, AuditEntry.id).where(AuditEntry.action == "login")
            ).first()
            assert victim is not None
            conn.execute(
                update(AuditEntry).where(AuditEntry.id == victim.id).values(actor="nobody")
            )
        engine.dispose()

        broken = hub_command(hub, "audit", "verify")
        assert broken.returncode == 1, broken.stdout + broken.stderr
        assert f"seq={victim.seq} (id {victim.id})" in broken.stdout, broken.stdout

        out_csv, out_jsonl = tmp_path / "audit.csv", tmp_path / "audit.jsonl"
        assert hub_command(hub, "audit", "export", "--out", str(out_csv)).returncode == 1
        assert hub_command(hub, "audit", "export", "--out", str(out_jsonl)).returncode == 1
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8").lstrip("\ufeff"))))
    records = [json.loads(line) for line in out_jsonl.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(records) >= 3
    assert [r["seq"] for r in rows] == [str(r["seq"]) for r in records]
    assert "'=HYPERLINK(1)" in [r["actor"] for r in rows]  # formula-safe
    assert "=HYPERLINK(1)" in [r["actor"] for r in records]  # JSON keeps it as it is
    assert all(len(r["row_hash"]) == 64 for r in records)

"""Terminal API contract: enrolment, heartbeat, uploads, errors (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from hub.fleet.clock import utcnow
from hub.fleet.models import (
    Alert,
    Command,
    EnrolmentCode,
    HealthRecord,
    JournalRecord,
    Terminal,
    TerminalEvent,
)
from tests.hub.conftest import ADMIN_PASSWORD
from tests.hub.fleet.helpers import enrol, heartbeat_body, login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def count(app: FastAPI, model: type, *where: Any) -> int:
    with app.state.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def test_one_time_code_from_console_enrols_once(client: TestClient, hub_app: FastAPI) -> None:
    csrf = login(client, "admin", ADMIN_PASSWORD)
    page = client.post(
        "/console/enrolment", data={"hours": "2", "note": "张庄村", "csrf_token": csrf}
    )
    assert page.status_code == 200
    code = re.search(r"已生成注册码 ([A-Z0-9-]{14})", page.text)
    assert code is not None, page.text
    terminal_id, _ = enrol(client, code=code.group(1))
    reuse = client.post(
        "/api/v1/terminal/enrol",
        json={"code": code.group(1), "name": "x", "place": {"county": "兰考县"}},
    )
    assert reuse.status_code == 403
    unknown = client.post(
        "/api/v1/terminal/enrol",
        json={"code": "NOPE-NOPE", "name": "x", "place": {"county": "兰考县"}},
    )
    assert unknown.status_code == 403
    with hub_app.state.engine.begin() as conn:
        row = conn.execute(select(EnrolmentCode).where(EnrolmentCode.code == code.group(1))).one()
        assert row.terminal_id == terminal_id and row.used_at is not None
        token_hash = conn.execute(
            select(Terminal.token_hash).where(Terminal.id == terminal_id)
        ).scalar_one()
    assert len(token_hash) == 64  # only the SHA-256 is stored


def test_expired_code_refused_and_demo_code_reusable(client: TestClient, hub_app: FastAPI) -> None:
    with hub_app.state.engine.begin() as conn:
        conn.execute(
            insert(EnrolmentCode).values(
                code="OLD-CODE",
                created_by="t",
                created_at=utcnow() - timedelta(days=3),
                expires_at=utcnow() - timedelta(days=1),
            )
        )
    expired = client.post(
        "/api/v1/terminal/enrol",
        json={"code": "OLD-CODE", "name": "x", "place": {"county": "兰考县"}},
    )
    assert expired.status_code == 403
    first, auth1 = enrol(client)
    second, auth2 = enrol(client, name="张庄村2号机")
    assert first != second and auth1 != auth2


def test_heartbeat_keeps_latest_status_and_history_only_on_change(
    client: TestClient, hub_app: FastAPI
) -> None:
    terminal_id, auth = enrol(client)
    for _ in range(5):
        reply = client.post("/api/v1/terminal/heartbeat", json=heartbeat_body(), headers=auth)
        assert reply.status_code == 200
        assert reply.json() == {"ok": True, "next_interval_s": 5, "commands_pending": 0}
    assert count(hub_app, HealthRecord, HealthRecord.terminal_id == terminal_id) == 3
    low = client.post("/api/v1/terminal/heartbeat", json=heartbeat_body(paper="low"), headers=auth)
    assert low.status_code == 200
    for _ in range(3):
        client.post("/api/v1/terminal/heartbeat", json=heartbeat_body(paper="low"), headers=auth)
    assert count(hub_app, HealthRecord, HealthRecord.terminal_id == terminal_id) == 4
    assert count(hub_app, Alert, Alert.kind == "paper_low", Alert.open_key.is_not(None)) == 1
    client.post(
        "/api/v1/terminal/heartbeat",
        json=heartbeat_body(paper="out", printer_state="hwerror"),
        headers=auth,
    )
    assert count(hub_app, Alert, Alert.kind == "paper_low", Alert.open_key.is_not(None)) == 0
    assert count(hub_app, Alert, Alert.kind == "paper_out", Alert.open_key.is_not(None)) == 1
    assert count(hub_app, Alert, Alert.kind == "device_error", Alert.open_key.is_not(None)) == 1
    client.post("/api/v1/terminal/heartbeat", json=heartbeat_body(backlog=500), headers=auth)
    with hub_app.state.engine.connect() as conn:
        open_kinds = set(
            conn.execute(select(Alert.kind).where(Alert.open_key.is_not(None))).scalars()
        )
        t = conn.execute(select(Terminal).where(Terminal.id == terminal_id)).one()
    assert open_kinds == {"journal_backlog"}
    assert t.version == "1.2.3" and t.journal_backlog == 500 and t.paper == "full"
    assert t.memory_rss_mb == 180 and t.last_seen_at is not None


def test_heartbeat_reports_pending_commands(client: TestClient, hub_app: FastAPI) -> None:
    terminal_id, auth = enrol(client)
    client.post("/api/v1/terminal/heartbeat", json=heartbeat_body(), headers=auth)
    with hub_app.state.engine.begin() as conn:
        conn.execute(
            insert(Command).values(
                terminal_id=terminal_id,
                kind="test_print",
                args_json="{}",
                state="queued",
                created_by="t",
                created_at=utcnow(),
            )
        )
    reply = client.post("/api/v1/terminal/heartbeat", json=heartbeat_body(), headers=auth)
    assert reply.json()["commands_pending"] == 1


def test_revoked_and_unknown_credentials_get_401(client: TestClient) -> None:
    terminal_id, auth = enrol(client)
    assert (
        client.post("/api/v1/terminal/heartbeat", json=heartbeat_body(), headers=auth).status_code
        == 200
    )
    csrf = login(client, "admin", ADMIN_PASSWORD)
    revoke = client.post(f"/console/terminals/{terminal_id}/revoke", data={"csrf_token": csrf})
    assert revoke.status_code == 200
    for path in (
        "/api/v1/terminal/heartbeat",
        "/api/v1/terminal/events",
        "/api/v1/terminal/journal",
    ):
        assert client.post(path, json={}, headers=auth).status_code == 401
    assert client.get("/api/v1/terminal/commands?wait=0", headers=auth).status_code == 401
    bogus = {"Authorization": "Bearer " + "A" * 43}
    assert (
        client.post("/api/v1/terminal/heartbeat", json=heartbeat_body(), headers=bogus).status_code
        == 401
    )
    assert client.post("/api/v1/terminal/heartbeat", json=heartbeat_body()).status_code == 401
    basic = {"Authorization": "Basic YWRtaW46YWRtaW4="}
    assert (
        client.post("/api/v1/terminal/heartbeat", json=heartbeat_body(), headers=basic).status_code
        == 401
    )


BAD_BODIES: list[tuple[str, bytes, str, int]] = [
    ("/api/v1/terminal/heartbeat", b"{not json", "application/json", 400),
    (
        "/api/v1/terminal/heartbeat",
        b'{"devices": [{"device": "printer", "state": "melted"}]}',
        "application/json",
        422,
    ),
    ("/api/v1/terminal/heartbeat", b'{"uptime_s": "long"}', "application/json", 422),
    ("/api/v1/terminal/heartbeat", b"[1, 2, 3]", "application/json", 422),
    ("/api/v1/terminal/heartbeat", b"\xff\xfe\x00", "application/json", 400),
    ("/api/v1/terminal/heartbeat", b"[" * 100_000, "application/json", 400),
    (
        "/api/v1/terminal/heartbeat",
        b'{"pad": "' + b"x" * (1024 * 1024 + 10) + b'"}',
        "application/json",
        413,
    ),
    ("/api/v1/terminal/events", b'{"events": {"key": 1}}', "application/json", 422),
    (
        "/api/v1/terminal/events",
        b'{"events": [{"key": "", "kind": "x"}]}',
        "application/json",
        422,
    ),
    (
        "/api/v1/terminal/journal",
        b'{"records": [{"key": "k", "seq": -1, "kind": "x"}]}',
        "application/json",
        422,
    ),
    ("/api/v1/terminal/journal", b"", "application/json", 400),
    ("/api/v1/terminal/commands/1/ack", b'{"ok": "maybe"}', "application/json", 422),
    ("/api/v1/terminal/screenshot", PNG, "image/jpeg", 415),
    ("/api/v1/terminal/screenshot", b"GIF89a", "image/png", 400),
    ("/api/v1/terminal/screenshot", PNG + b"\x00" * (5 * 1024 * 1024), "image/png", 413),
    ("/api/v1/terminal/enrol", b'{"code": "DEMO-ENROL"}', "application/json", 422),
    ("/api/v1/terminal/enrol", b"null", "application/json", 422),
]


def test_oversized_and_malformed_bodies_are_4xx(client: TestClient) -> None:
    _, auth = enrol(client)
    wrong = []
    for path, content, content_type, expected in BAD_BODIES:
        reply = client.post(path, content=content, headers={**auth, "Content-Type": content_type})
        if reply.status_code != expected:
            wrong.append((path, content[:40], expected, reply.status_code, reply.text[:120]))
    assert not wrong


def test_chunked_oversized_body_is_refused_without_content_length(client: TestClient) -> None:
    _, auth = enrol(client)

    def chunks() -> object:
        for _ in range(40):
            yield b"x" * 65536

    reply = client.post(
        "/api/v1/terminal/journal",
        content=chunks(),
        headers={**auth, "Content-Type": "application/json"},
    )
    assert reply.status_code == 413


def test_replayed_events_are_accepted_but_stored_once(client: TestClient, hub_app: FastAPI) -> None:
    terminal_id, auth = enrol(client)
    batch = {
        "events": [
            {
                "key": "e-1",
                "kind": "call_staff",
                "at": "2026-11-20T08:00:00+08:00",
                "data": {"screen": "pay"},
            },
            {
                "key": "e-2",
                "kind": "session_summary",
                "at": "2026-11-20T08:05:00+08:00",
                "data": {
                    "service_id": "pension_query",
                    "completed": True,
                    "duration_s": 95,
                    "mode_elder": True,
                    "mode_voice": False,
                    "pages_printed": 1,
                    "rating": 5,
                },
            },
        ]
    }
    for _ in range(3):
        reply = client.post("/api/v1/terminal/events", json=batch, headers=auth)
        assert reply.status_code == 200
        assert reply.json() == {"accepted": ["e-1", "e-2"]}
    assert count(hub_app, TerminalEvent, TerminalEvent.terminal_id == terminal_id) == 2
    assert count(hub_app, Alert, Alert.kind == "call_staff") == 1
    with hub_app.state.engine.connect() as conn:
        at = conn.execute(select(TerminalEvent.at).where(TerminalEvent.key == "e-1")).scalar_one()
    assert at.hour == 0  # 08:00+08:00 stored as UTC


def test_integrity_and_disk_events_raise_alerts(client: TestClient, hub_app: FastAPI) -> None:
    _, auth = enrol(client)
    events = [
        {
            "key": "j-1",
            "kind": "journal_integrity",
            "data": {"ok": False, "detail": "chain broken at 17"},
        },
        {"key": "d-1", "kind": "disk_full", "data": {}},
    ]
    assert (
        client.post("/api/v1/terminal/events", json={"events": events}, headers=auth).status_code
        == 200
    )
    assert count(hub_app, Alert, Alert.open_key.is_not(None)) == 2
    ok = [{"key": "j-2", "kind": "journal_integrity", "data": {"ok": True}}]
    client.post("/api/v1/terminal/events", json={"events": ok}, headers=auth)
    assert (
        count(hub_app, Alert, Alert.kind == "journal_integrity", Alert.open_key.is_not(None)) == 0
    )


def test_journal_is_idempotent_and_reports_highest_seq(
    client: TestClient, hub_app: FastAPI
) -> None:
    terminal_id, auth = enrol(client)
    records = [
        {
            "key": f"r-{i}",
            "seq": i,
            "kind": "print",
            "at": "2026-11-20T00:00:00Z",
            "data": {"pages": 1},
        }
        for i in (1, 2, 3)
    ]
    first = client.post("/api/v1/terminal/journal", json={"records": records}, headers=auth)
    assert first.json() == {"accepted": ["r-1", "r-2", "r-3"], "highest_seq": 3}
    again = client.post("/api/v1/terminal/journal", json={"records": records[1:]}, headers=auth)
    assert again.json() == {"accepted": ["r-2", "r-3"], "highest_seq": 3}
    gap = [{"key": "r-7", "seq": 7, "kind": "print", "data": {}}]
    assert client.post("/api/v1/terminal/journal", json={"records": gap}, headers=auth).json() == {
        "accepted": ["r-7"],
        "highest_seq": 7,
    }
    assert count(hub_app, JournalRecord, JournalRecord.terminal_id == terminal_id) == 4


def test_a_key_repeated_within_one_batch_is_stored_once(
    client: TestClient, hub_app: FastAPI
) -> None:
    """Events and journal records share one insert loop: the second copy of a
    key in the same batch is acknowledged, not stored, and its seq not counted."""
    terminal_id, auth = enrol(client)
    records = [
        {"key": "r-1", "seq": 1, "kind": "print", "data": {}},
        {"key": "r-1", "seq": 9, "kind": "print", "data": {}},
    ]
    reply = client.post("/api/v1/terminal/journal", json={"records": records}, headers=auth)
    assert reply.json() == {"accepted": ["r-1", "r-1"], "highest_seq": 1}
    assert count(hub_app, JournalRecord, JournalRecord.terminal_id == terminal_id) == 1
    events = [{"key": "e-1", "kind": "call_staff", "data": {}}] * 2
    reply = client.post("/api/v1/terminal/events", json={"events": events}, headers=auth)
    assert reply.json() == {"accepted": ["e-1", "e-1"]}
    assert count(hub_app, TerminalEvent, TerminalEvent.terminal_id == terminal_id) == 1
    assert count(hub_app, Alert, Alert.kind == "call_staff", Alert.terminal_id == terminal_id) == 1


def test_latest_screenshot_is_kept_and_shown(client: TestClient) -> None:
    terminal_id, auth = enrol(client)
    for payload in (PNG + b"first", PNG + b"second"):
        reply = client.post(
            "/api/v1/terminal/screenshot",
            content=payload,
            headers={**auth, "Content-Type": "image/png"},
        )
        assert reply.status_code == 204
    login(client, "admin", ADMIN_PASSWORD)
    shot = client.get(f"/console/terminals/{terminal_id}/screenshot.png")
    assert shot.status_code == 200 and shot.content == PNG + b"second"
    assert shot.headers["content-type"] == "image/png"


def test_ack_of_another_terminals_command_is_404(client: TestClient, hub_app: FastAPI) -> None:
    first, _ = enrol(client)
    _, other = enrol(client, name="另一台")
    with hub_app.state.engine.begin() as conn:
        command_id = conn.execute(
            insert(Command)
            .values(
                terminal_id=first,
                kind="restart",
                args_json="{}",
                state="queued",
                created_by="t",
                created_at=utcnow(),
            )
            .returning(Command.id)
        ).scalar_one()
    reply = client.post(
        f"/api/v1/terminal/commands/{command_id}/ack",
        json={"ok": True, "result": ""},
        headers=other,
    )
    assert reply.status_code == 404


def test_announcements_by_place_and_catalogue_switch_through_services(
    client: TestClient, hub_app: FastAPI
) -> None:
    from hub.services.catalogue_store import enabled_items

    _, auth = enrol(client)
    csrf = login(client, "admin", ADMIN_PASSWORD)
    here = {"text": "周六停电检修", "county": "兰考县", "csrf_token": csrf}
    elsewhere = {"text": "别处的公告", "county": "杞县", "csrf_token": csrf}
    assert "公告已推送至 1 台终端" in client.post("/console/content/announcements", data=here).text
    assert (
        "公告已推送至 0 台终端"
        in client.post("/console/content/announcements", data=elsewhere).text
    )
    config = client.get("/api/v1/terminal/config", headers=auth).json()
    assert [a["text"] for a in config["announcements"]] == ["周六停电检修"]
    assert config["heartbeat_interval_s"] == 5
    switched = client.post(
        "/console/content/catalogue",
        data={
            "place": "dbt-zhangzhuang",
            "service_id": "rsi_contribution_query",
            "enabled": "0",
            "csrf_token": csrf,
        },
    )
    assert "已停用 rsi_contribution_query" in switched.text
    assert 'data-service="rsi_contribution_query" data-enabled="0"' in switched.text
    with hub_app.state.sessionmaker() as session:
        here_ids = {i.id for i in enabled_items(session, "dbt-zhangzhuang")}
        default_ids = {i.id for i in enabled_items(session, None)}
    assert "rsi_contribution_query" not in here_ids and "rsi_contribution_query" in default_ids
    commands = client.get("/api/v1/terminal/commands?wait=0", headers=auth).json()
    assert [(c["kind"], c["args"]) for c in commands] == [
        ("announcement", {"text": "周六停电检修"}),
        ("reload_catalogue", {}),
    ]
    unknown = client.post(
        "/console/content/catalogue",
        data={
            "place": "dbt-zhangzhuang",
            "service_id": "no_such_item",
            "enabled": "0",
            "csrf_token": csrf,
        },
    )
    assert "未知事项" in unknown.text


def test_offline_alert_raised_and_resolved_by_sweep(make_settings: object) -> None:
    from tests.hub.conftest import build_app

    app = build_app(make_settings(heartbeat_interval_s=1))  # type: ignore[operator]
    with TestClient(app) as client:
        terminal_id, auth = enrol(client)
        client.post("/api/v1/terminal/heartbeat", json=heartbeat_body(), headers=auth)
        deadline = time.monotonic() + 10
        while count(app, Alert, Alert.kind == "offline", Alert.open_key.is_not(None)) == 0:
            assert time.monotonic() < deadline, "offline alert not raised within 10 s"
            time.sleep(0.2)
        client.post("/api/v1/terminal/heartbeat", json=heartbeat_body(), headers=auth)
        deadline = time.monotonic() + 5
        while count(app, Alert, Alert.kind == "offline", Alert.open_key.is_not(None)) == 1:
            assert time.monotonic() < deadline, "offline alert not resolved within 5 s"
            time.sleep(0.1)
        with app.state.engine.connect() as conn:
            alert = conn.execute(select(Alert).where(Alert.terminal_id == terminal_id)).one()
        assert alert.resolved_by == "系统"
    app.state.engine.dispose()


def test_events_json_shape_in_db(client: TestClient, hub_app: FastAPI) -> None:
    _, auth = enrol(client)
    client.post(
        "/api/v1/terminal/events",
        json={
            "events": [
                {"key": "s-1", "kind": "device_fault", "data": {"device": "printer", "code": "E12"}}
            ]
        },
        headers=auth,
    )
    with hub_app.state.engine.connect() as conn:
        data = conn.execute(
            select(TerminalEvent.data_json).where(TerminalEvent.key == "s-1")
        ).scalar_one()
    assert json.loads(data) == {"device": "printer", "code": "E12"}

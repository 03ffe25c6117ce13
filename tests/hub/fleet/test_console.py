"""Console behaviour: login, lockout, CSRF, idle timeout, audit, overview,
statistics, operator accounts."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, update

from hub.fleet.clock import utcnow
from hub.fleet.console.login import FAILURE
from hub.fleet.models import AuditEntry, LoginThrottle, Operator, OperatorSession
from hub.fleet.state import DEMO_SECURITY_ADMIN
from tests.hub.conftest import ADMIN_PASSWORD
from tests.hub.fleet.helpers import enrol, heartbeat_body, login


def audit_actions(app: FastAPI) -> list[tuple[str, str, str]]:
    with app.state.engine.connect() as conn:
        rows = conn.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.result).order_by(AuditEntry.id)
        ).all()
    return [(r.actor, r.action, r.result) for r in rows]


def _login_form_token(client: TestClient) -> str:
    page = client.get("/console/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def test_login_sets_strict_httponly_cookie_and_logout_ends_session(
    client: TestClient, hub_app: FastAPI
) -> None:
    token = _login_form_token(client)
    reply = client.post(
        "/console/login",
        data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    cookie = reply.headers["set-cookie"]
    assert (
        "huimin_console=" in cookie
        and "HttpOnly" in cookie
        and "SameSite=strict" in cookie.replace("Strict", "strict")
    )
    who = client.get("/console/whoami").json()
    assert who["username"] == "admin" and who["role"] == "system_admin"
    out = client.post(
        "/console/logout", data={"csrf_token": who["csrf_token"]}, follow_redirects=False
    )
    assert out.status_code == 303
    page = client.get("/console/", headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.headers["location"] == "/console/login"
    assert client.get("/console/").status_code == 401
    actions = [a for _, a, _ in audit_actions(hub_app)]
    assert "login" in actions and "logout" in actions


def test_login_form_needs_its_csrf_token(client: TestClient, hub_app: FastAPI) -> None:
    client.get("/console/login")
    reply = client.post(
        "/console/login",
        data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": "forged"},
    )
    assert reply.status_code == 403
    assert client.get("/console/whoami").status_code == 401
    assert ("admin", "login_failed", "denied") in audit_actions(hub_app)  # refusals are audited


def test_failures_slow_logins_down_without_locking_and_all_read_alike(
    client: TestClient, hub_app: FastAPI
) -> None:
    """Five wrong passwords: no lock, but the next attempt must wait a growing
    delay (issue 13, item 4). While it waits, even the right password gets the
    same reply as any failure, as does an unknown account; after the delay the
    right password works."""
    replies = []
    for _ in range(5):
        token = _login_form_token(client)
        reply = client.post(
            "/console/login",
            data={"username": "admin", "password": "wrong-password", "csrf_token": token},
        )
        assert reply.status_code == 401
        replies.append(_error_of(reply.text))
    token = _login_form_token(client)
    delayed = client.post(
        "/console/login",
        data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token},
    )
    assert delayed.status_code == 401 and "锁定" not in delayed.text
    token = _login_form_token(client)
    unknown = client.post(
        "/console/login", data={"username": "ghost", "password": "x", "csrf_token": token}
    )
    assert unknown.status_code == 401
    assert {*replies, _error_of(delayed.text), _error_of(unknown.text)} == {FAILURE}
    failures = [r for r in audit_actions(hub_app) if r[1] == "login_failed"]
    assert len(failures) == 7 and all(r[2] == "failed" for r in failures)
    # The delay passes (moved into the past here rather than waited for).
    with hub_app.state.engine.begin() as conn:
        conn.execute(update(LoginThrottle).values(blocked_until=utcnow() - timedelta(seconds=1)))
    login(client, "admin", ADMIN_PASSWORD)


def _error_of(page: str) -> str:
    found = re.search(r'<div class="error">([^<]*)</div>', page)
    assert found is not None, page[:500]
    return found.group(1)


def test_post_without_csrf_token_is_refused(client: TestClient, hub_app: FastAPI) -> None:
    terminal_id, _ = enrol(client)
    login(client, "admin", ADMIN_PASSWORD)
    reply = client.post(f"/console/terminals/{terminal_id}/commands", data={"kind": "restart"})
    assert reply.status_code == 403
    wrong = client.post(
        f"/console/terminals/{terminal_id}/commands", data={"kind": "restart", "csrf_token": "nope"}
    )
    assert wrong.status_code == 403
    assert not [a for a in audit_actions(hub_app) if a[1] == "command"]


def test_idle_session_expires(client: TestClient, hub_app: FastAPI) -> None:
    login(client, "admin", ADMIN_PASSWORD)
    assert client.get("/console/", follow_redirects=False).status_code == 200
    with hub_app.state.engine.begin() as conn:
        conn.execute(update(OperatorSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    reply = client.get("/console/", headers={"Accept": "text/html"}, follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/console/login"
    assert ("admin", "session_expired", "ok") in audit_actions(hub_app)


def test_overview_shows_status_text_filters_and_counts(client: TestClient) -> None:
    _, ok = enrol(client, name="张庄村1号机")
    _, low = enrol(client, name="胡寨村1号机", town="城关镇", village="胡寨村")
    enrol(client, name="从未上线", town="堌阳镇", village="徐场村")
    client.post("/api/v1/terminal/heartbeat", json=heartbeat_body(), headers=ok)
    client.post("/api/v1/terminal/heartbeat", json=heartbeat_body(paper="low"), headers=low)
    login(client, "admin", ADMIN_PASSWORD)
    reply = client.get("/console/")
    assert reply.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in reply.headers["content-security-policy"]
    assert reply.headers["cache-control"] == "no-store"
    page = reply.text
    assert re.search(r'id="count-online">1<', page) and re.search(r'id="count-degraded">1<', page)
    assert re.search(r'id="count-offline">1<', page)
    assert "在线" in page and "降级" in page and "离线" in page and "将尽" in page
    filtered = client.get("/console/fragments/overview", params={"town": "城关镇"}).text
    assert "胡寨村1号机" in filtered and "张庄村1号机" not in filtered
    by_status = client.get("/console/fragments/overview", params={"status": "offline"}).text
    assert "从未上线" in by_status and "胡寨村1号机" not in by_status


def test_maintenance_status_and_alert_ack_resolve_audited(
    client: TestClient, hub_app: FastAPI
) -> None:
    terminal_id, auth = enrol(client)
    client.post(
        "/api/v1/terminal/heartbeat",
        json=heartbeat_body(maintenance=True, paper="out"),
        headers=auth,
    )
    csrf = login(client, "admin", ADMIN_PASSWORD)
    assert 'data-status="maintenance"' in client.get("/console/fragments/overview").text
    alerts = client.get("/console/fragments/alerts").text
    alert_id = re.search(r'data-alert="(\d+)" data-kind="paper_out"', alerts)
    assert alert_id is not None
    assert (
        client.post(
            f"/console/alerts/{alert_id.group(1)}/ack", data={"csrf_token": csrf}
        ).status_code
        == 200
    )
    assert "admin ·" in client.get("/console/fragments/alerts").text
    assert (
        client.post(
            f"/console/alerts/{alert_id.group(1)}/resolve", data={"csrf_token": csrf}
        ).status_code
        == 200
    )
    assert "暂无告警" in client.get("/console/fragments/alerts").text
    actions = [a for _, a, _ in audit_actions(hub_app)]
    assert "alert_ack" in actions and "alert_resolve" in actions
    detail = client.get(f"/console/terminals/{terminal_id}").text
    assert "维护中" in detail and "缺纸" in detail


def test_statistics_from_session_summaries_ratings_and_csv(
    client: TestClient, hub_app: FastAPI
) -> None:
    from hub.services.models import RatingRow

    _, auth = enrol(client)
    now = utcnow()
    today = now.strftime("%Y-%m-%dT%H:%M:%S")
    summaries = [
        {
            "service_id": "rsi_contribution_query",
            "completed": True,
            "duration_s": 60,
            "mode_elder": True,
            "mode_voice": False,
            "pages_printed": 2,
        },
        {
            "service_id": "rsi_contribution_query",
            "completed": False,
            "duration_s": 30,
            "mode_elder": False,
            "mode_voice": True,
            "pages_printed": 0,
        },
        {
            "service_id": "rsi_pension_claim",
            "completed": True,
            "duration_s": 90,
            "mode_elder": True,
            "mode_voice": True,
            "pages_printed": 1,
        },
    ]
    events = [
        {"key": f"s{i}", "kind": "session_summary", "at": today, "data": d}
        for i, d in enumerate(summaries)
    ]
    assert (
        client.post("/api/v1/terminal/events", json={"events": events}, headers=auth).status_code
        == 200
    )
    with hub_app.state.engine.begin() as conn:
        for level, reasons in ((1, []), (5, ["too_slow", "hard_to_read"]), (4, ["too_slow"])):
            conn.execute(
                insert(RatingRow).values(
                    service_id="rsi_contribution_query",
                    level=level,
                    reasons=reasons,
                    terminal_session_id="s",
                    at=now,
                    received_at=now,
                )
            )
    login(client, "admin", ADMIN_PASSWORD)
    page = client.get("/console/stats").text
    assert re.search(r'id="total-sessions">3<', page)
    assert "办理时间太长" in page and "66.7%" in page
    exported = client.get("/console/stats.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    table = {(r[0], r[1]): r[2:] for r in rows[1:]}
    assert table[("合计", "全部")] == ["3", "2", "1", "66.7%", "60.0", "3"]
    assert table[("事项", "rsi_contribution_query")][0] == "2"
    assert table[("好差评", "非常满意")][0] == "1" and table[("好差评", "非常不满意")][0] == "1"
    assert table[("好差评", "不满意")][0] == "1" and table[("好差评", "满意")][0] == "0"
    assert (
        table[("差评原因", "办理时间太长")][0] == "2"
        and table[("差评原因", "字太小或声音听不清")][0] == "1"
    )
    assert table[("跑动次数（已完成）", "零跑动")][0] == "1"
    assert table[("跑动次数（已完成）", "最多跑一次")][0] == "1"
    assert table[("长辈模式", "会话数")][0] == "2" and table[("语音模式", "会话数")][0] == "2"


def test_operator_accounts_roles_and_disable(client: TestClient, hub_app: FastAPI) -> None:
    # Accounts are the security administrator's (三权分立), the demo's "security".
    csrf = login(client, DEMO_SECURITY_ADMIN, ADMIN_PASSWORD)
    weak = client.post(
        "/console/operators",
        data={"username": "li", "password": "short", "role": "viewer", "csrf_token": csrf},
    )
    assert "密码至少 12 位" in weak.text
    made = client.post(
        "/console/operators",
        data={
            "username": "wang",
            "display_name": "王运维",
            "password": "operator-pass-1",
            "role": "operator",
            "csrf_token": csrf,
        },
    )
    assert "已创建账号 wang" in made.text
    dup = client.post(
        "/console/operators",
        data={
            "username": "wang",
            "password": "operator-pass-1",
            "role": "viewer",
            "csrf_token": csrf,
        },
    )
    assert "用户名已存在" in dup.text
    with TestClient(hub_app) as other:
        # The password the security administrator chose is replaced at the first login.
        login(other, "wang", "operator-pass-1", new_password="Li-Ming-pass-22")
        assert other.get("/console/operators").status_code == 403
        with hub_app.state.engine.connect() as conn:
            wang_id = conn.execute(
                select(Operator.id).where(Operator.username == "wang")
            ).scalar_one()
        client.post(f"/console/operators/{wang_id}", data={"disabled": "1", "csrf_token": csrf})
        assert other.get("/console/").status_code == 401  # session ended
    actions = [(a, r) for _, a, r in audit_actions(hub_app)]
    assert ("operator_create", "ok") in actions and ("operator_create", "failed") in actions
    assert ("operator_update", "ok") in actions


def test_notifications_page_shows_the_sms_sent_masked(client: TestClient, hub_app: FastAPI) -> None:
    from hub.services.models import SmsRow

    with hub_app.state.engine.begin() as conn:
        conn.execute(
            insert(SmsRow).values(
                phone_masked="138****1234",
                text="【兰考县】您的城乡居民养老保险参保登记已受理，受理编号20261122000123。",
                sent_at=utcnow(),
            )
        )
    login(client, "admin", ADMIN_PASSWORD)
    page = client.get("/console/notifications")
    assert page.status_code == 200
    assert "138****1234" in page.text and "受理编号20261122000123" in page.text
    assert "13800381234" not in page.text

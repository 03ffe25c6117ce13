"""The workbench in the full hub: a clerk sees only their departments'
applications with their remaining time, acts on them with CSRF, and is
refused (403, audited) outside their scope; other roles are refused too."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from hub.backoffice.demo import DEMO_CLERK
from hub.backoffice.models import SmsOutboxRow
from hub.fleet.clock import utcnow
from hub.fleet.console.passwords import hash_password
from hub.fleet.models import AuditEntry, Operator
from hub.fleet.state import DEMO_SECURITY_ADMIN
from hub.services.models import ApplicationRow
from tests.hub.conftest import ADMIN_PASSWORD
from tests.hub.fleet.helpers import login


def rows_of(page: str) -> dict[str, str]:
    """受理编号 → status, as the workbench table shows them."""
    return dict(re.findall(r'data-application="(\d+)" data-status="(\w+)"', page))


def app_of(hub_app: FastAPI, item_id: str, status: str) -> str:
    with hub_app.state.sessionmaker() as s:
        return (
            s.scalars(
                select(ApplicationRow.acceptance_no).where(
                    ApplicationRow.item_id == item_id, ApplicationRow.status == status
                )
            ).first()
            or ""
        )


def add_staff(hub_app: FastAPI, username: str, scopes: str, client: TestClient) -> None:
    """A staff account made and scoped by the security administrator through the console."""
    with hub_app.state.engine.begin() as conn:
        conn.execute(
            insert(Operator).values(
                username=username,
                display_name=username,
                role="staff",
                password_hash=hash_password("staff-password-1"),
                created_at=utcnow(),
                demo_account=True,
            )
        )
        operator_id = conn.execute(
            select(Operator.id).where(Operator.username == username)
        ).scalar_one()
    csrf = login(client, DEMO_SECURITY_ADMIN, ADMIN_PASSWORD)
    reply = client.post(
        f"/console/operators/{operator_id}/scopes",
        data={"scopes": scopes, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert reply.status_code == 303 and "err=" not in reply.headers["location"], reply.headers
    client.post("/console/logout", data={"csrf_token": csrf})


def test_the_demo_clerk_sees_own_work_with_warnings_and_acts(
    client: TestClient, hub_app: FastAPI
) -> None:
    csrf = login(client, DEMO_CLERK, ADMIN_PASSWORD)
    page = client.get("/console/workbench")
    assert page.status_code == 200
    shown = rows_of(page.text)
    with hub_app.state.sessionmaker() as s:
        items = dict(s.execute(select(ApplicationRow.acceptance_no, ApplicationRow.item_id)).all())
    # Only the social-insurance centre's and civil affairs' items, open ones by default.
    assert shown and all(
        items[no] in {"rsi_pension_claim", "fun_death_benefit", "rsi_elderly_allowance",
                      "rsi_resident_pension_enrol"}
        for no in shown
    )  # fmt: skip
    assert not {"done", "rejected", "mailed", "returned"} & set(shown.values())
    assert 'data-level="red"' in page.text and 'data-level="yellow"' in page.text
    assert "已超期" in page.text and "剩余" in page.text and "补正中，计时暂停" in page.text

    no = app_of(hub_app, "rsi_pension_claim", "accepted")
    reply = client.post(
        "/console/workbench/act",
        data={"acceptance_no": no, "action": "accept", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert reply.status_code == 303 and "msg=" in reply.headers["location"]
    assert rows_of(client.get("/console/workbench?status=all").text)[no] == "reviewing"
    # Out of order: refused with the state machine's sentence, nothing changes.
    reply = client.post(
        "/console/workbench/act",
        data={"acceptance_no": no, "action": "ship", "waybill": "EMS1", "csrf_token": csrf},
    )
    assert "不能邮寄送达" in reply.text
    # Without the CSRF token: 403.
    assert (
        client.post(
            "/console/workbench/act", data={"acceptance_no": no, "action": "approve"}
        ).status_code
        == 403
    )
    with hub_app.state.sessionmaker() as s:
        assert s.scalars(select(ApplicationRow.status).where(
            ApplicationRow.acceptance_no == no)).one() == "reviewing"  # fmt: skip
        audit = s.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.target, AuditEntry.result)
            .where(AuditEntry.target == f"application:{no}")
            .order_by(AuditEntry.seq)
        ).all()
        queued = s.scalars(select(SmsOutboxRow.text).where(SmsOutboxRow.text.contains(no))).all()
    assert [(a.actor, a.action, a.result) for a in audit] == [
        (DEMO_CLERK, "application_action", "ok"),
        (DEMO_CLERK, "application_action", "refused"),
    ]
    assert len(queued) == 1 and "已由兰考县社会保险中心受理" in queued[0]


def test_another_department_is_refused_and_audited(client: TestClient, hub_app: FastAPI) -> None:
    add_staff(hub_app, "police_clerk", "兰考县公安局", client)
    csrf = login(client, "police_clerk", "staff-password-1")
    assert rows_of(client.get("/console/workbench?status=all").text) == {}
    no = app_of(hub_app, "rsi_pension_claim", "accepted")
    reply = client.post(
        "/console/workbench/act",
        data={"acceptance_no": no, "action": "accept", "csrf_token": csrf},
    )
    assert reply.status_code == 403 and "不在您的办理范围内" in reply.text
    with hub_app.state.sessionmaker() as s:
        assert s.scalars(select(ApplicationRow.status).where(
            ApplicationRow.acceptance_no == no)).one() == "accepted"  # fmt: skip
        denied = s.scalars(
            select(AuditEntry.detail).where(
                AuditEntry.actor == "police_clerk", AuditEntry.action == "denied"
            )
        ).all()
    assert denied == [f"application:{no} 不在办理范围内"]


def test_one_item_scope_sees_that_item_only(client: TestClient, hub_app: FastAPI) -> None:
    add_staff(hub_app, "funeral_clerk", "兰考县社会保险中心/fun_death_benefit", client)
    login(client, "funeral_clerk", "staff-password-1")
    shown = rows_of(client.get("/console/workbench?status=all").text)
    with hub_app.state.sessionmaker() as s:
        expected = set(
            s.scalars(
                select(ApplicationRow.acceptance_no).where(
                    ApplicationRow.item_id == "fun_death_benefit"
                )
            )
        )
    assert shown and set(shown) == expected


def test_a_scope_the_catalogue_does_not_know_is_refused(
    client: TestClient, hub_app: FastAPI
) -> None:
    csrf = login(client, DEMO_SECURITY_ADMIN, ADMIN_PASSWORD)
    with hub_app.state.sessionmaker() as s:
        clerk = s.scalars(select(Operator.id).where(Operator.username == DEMO_CLERK)).one()
    reply = client.post(
        f"/console/operators/{clerk}/scopes",
        data={"scopes": "兰考县社会保险中心\n不存在的局", "csrf_token": csrf},
    )
    assert "第2行：目录中没有部门“不存在的局”" in reply.text
    page = client.get(f"/console/operators/{clerk}/scopes").text
    assert "兰考县民政局" in page  # unchanged


def test_other_roles_have_no_workbench_and_viewers_see_supervision(
    client: TestClient, hub_app: FastAPI
) -> None:
    login(client, "admin", ADMIN_PASSWORD)
    assert client.get("/console/workbench").status_code == 403
    overview = client.get("/console/").text
    assert "红牌" in overview and "按时办结率" in overview
    page = client.get("/console/supervision").text
    assert "兰考县社会保险中心" in page and "仅记录（演示，未发送）" in page
    assert "未配置上报地址" in page
    # Every application the demo concluded was concluded within its limit.
    rate = re.search(r"<b>([\d.]+)%</b>按时办结率（(\d+)/(\d+)）", page)
    assert rate and rate.group(1) == "100.0" and rate.group(2) == rate.group(3) != "0"
    assert rate.group(0) in client.get("/console/stats").text


def test_the_outbox_page_says_recorded_not_sent_and_retries_failed_ones(
    client: TestClient, hub_app: FastAPI
) -> None:
    from sqlalchemy import update

    csrf = login(client, DEMO_CLERK, ADMIN_PASSWORD)
    no = app_of(hub_app, "rsi_pension_claim", "accepted")
    client.post(
        "/console/workbench/act", data={"acceptance_no": no, "action": "accept", "csrf_token": csrf}
    )
    hub_app.state.backoffice.dispatcher.drain()
    with hub_app.state.engine.begin() as conn:
        conn.execute(update(SmsOutboxRow).values(status="failed", last_error="网关拒绝：HTTP 503"))
        message_id = conn.execute(select(SmsOutboxRow.id)).scalars().first()
    client.post("/console/logout", data={"csrf_token": csrf})
    csrf = login(client, "admin", ADMIN_PASSWORD)
    page = client.get("/console/notifications").text
    assert "未配置短信网关：短信仅记录，未实际发送" in page and "发送失败" in page
    assert "已发送" not in page.split('id="sms-outbox"')[1]  # nothing claims "sent"
    reply = client.post(
        "/console/notifications/retry", data={"message_id": str(message_id), "csrf_token": csrf}
    )
    assert "已重新排队发送" in reply.text
    hub_app.state.backoffice.dispatcher.drain()
    with hub_app.state.sessionmaker() as s:
        assert s.get(SmsOutboxRow, message_id).status == "recorded"  # type: ignore[union-attr]

"""Applications (一证通办): acceptance, eligibility, consent, idempotency, progress, SMS."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hub.services.applications import advance, due_date
from hub.services.context import ServiceContext
from hub.services.models import ApplicationRow, SmsRow
from tests.hub.services.conftest import CITIZENS, S, session


def enrol(client: TestClient, key: str = "zhao_lei", **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "item_id": "rsi_resident_pension_enrol",
        "person_session": session(client, key),
        "form": {"phone": "18637812345", "grade_yuan": 300},
        "delivery": {"method": "counter"},
        "consent": True,
        "idempotency_key": f"enrol-{key}-0001",
    }
    body.update(over)
    return body


def sms(ctx: ServiceContext) -> list[SmsRow]:
    with ctx.factory() as s:
        return list(s.scalars(select(SmsRow).order_by(SmsRow.id)))


def count_apps(ctx: ServiceContext) -> int:
    with ctx.factory() as s:
        return int(s.scalar(select(func.count(ApplicationRow.id))) or 0)


def test_enrolment_is_accepted_numbered_and_texted(
    svc_client: TestClient, svc_ctx: ServiceContext
) -> None:
    r = svc_client.post(f"{S}/applications", json=enrol(svc_client))
    assert r.status_code == 201, r.text
    body = r.json()
    assert re.fullmatch(r"20261122\d{6}", body["acceptance_no"])
    assert body["status"] == "accepted" and body["status_text"] == "已受理"
    assert body["promised_days"] == 1 and body["due_date"] == "2026-11-23"
    assert body["form"] == {"phone": "186****2345", "grade_yuan": 300}
    assert body["printable"]["title"] == "受理回执"
    messages = sms(svc_ctx)
    assert len(messages) == 1 and messages[0].phone_masked == "186****2345"
    assert body["acceptance_no"] in messages[0].text and "已受理" in messages[0].text
    ident = svc_client.post(
        f"{S}/query/identify", json={"person_session": session(svc_client, "zhao_lei")}
    )
    assert ident.status_code == 200


def test_same_key_replays_other_body_conflicts(
    svc_client: TestClient, svc_ctx: ServiceContext
) -> None:
    first = svc_client.post(f"{S}/applications", json=enrol(svc_client))
    again = svc_client.post(f"{S}/applications", json=enrol(svc_client))
    assert again.status_code == 201 and again.json() == first.json()
    assert count_apps(svc_ctx) == 3  # two seeded for 王芳 + this one
    other = svc_client.post(
        f"{S}/applications",
        json=enrol(svc_client, form={"phone": "18637812345", "grade_yuan": 500}),
    )
    assert other.status_code == 409
    dup = svc_client.post(
        f"{S}/applications", json=enrol(svc_client, idempotency_key="enrol-second-key")
    )
    assert dup.status_code == 409 and first.json()["acceptance_no"] in dup.json()["detail"]


def test_without_consent_nothing_is_stored(svc_client: TestClient, svc_ctx: ServiceContext) -> None:
    before = count_apps(svc_ctx)
    r = svc_client.post(f"{S}/applications", json=enrol(svc_client, consent=False))
    assert r.status_code == 400 and "同意" in r.json()["detail"]
    assert count_apps(svc_ctx) == before and sms(svc_ctx) == []


def test_form_errors_are_clear(svc_client: TestClient) -> None:
    cases = [
        ({"phone": "12345", "grade_yuan": 300}, "手机号码"),
        ({"phone": "18637812345", "grade_yuan": 250}, "缴费档次只能选择"),
        ({"phone": "18637812345"}, "缴费档次"),
        ({"phone": "18637812345", "grade_yuan": 300, "x": 1}, "无法识别"),
    ]
    for form, words in cases:
        r = svc_client.post(f"{S}/applications", json=enrol(svc_client, form=form))
        assert r.status_code == 400 and words in r.json()["detail"], (form, r.text)


def test_eligibility(svc_client: TestClient) -> None:
    r = svc_client.post(
        f"{S}/applications", json=enrol(svc_client, "wang_fang")
    )  # already contributing
    assert r.status_code == 409 and "已参加" in r.json()["detail"]
    allowance = {
        "item_id": "rsi_elderly_allowance",
        "form": {"phone": "13723459876"},
        "delivery": {"method": "post", "address": "河南省兰考县红庙镇夏武营村4组11号"},
        "consent": True,
    }
    r = svc_client.post(
        f"{S}/applications",
        json={
            **allowance,
            "person_session": session(svc_client, "wang_fang"),
            "idempotency_key": "allow-wf-1",
        },
    )
    assert r.status_code == 400 and "80周岁" in r.json()["detail"]
    r = svc_client.post(
        f"{S}/applications",
        json={
            **allowance,
            "person_session": session(svc_client, "zhang_xiulan"),
            "idempotency_key": "allow-zx-1",
        },
    )
    assert r.status_code == 409  # already receiving
    r = svc_client.post(
        f"{S}/applications",
        json={
            **allowance,
            "person_session": session(svc_client, "liu_guiying"),
            "idempotency_key": "allow-lg-1",
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["form"]["bank_account"] == "622188*********3227"
    assert CITIZENS["liu_guiying"]["bank_pan"] not in r.text
    assert body["promised_days"] == 10


def test_request_shape_errors(svc_client: TestClient) -> None:
    r = svc_client.post(f"{S}/applications", json=enrol(svc_client, delivery={"method": "post"}))
    assert r.status_code == 422 and "收件地址" in r.text
    r = svc_client.post(f"{S}/applications", json=enrol(svc_client, item_id="no_such_item"))
    assert r.status_code == 404
    r = svc_client.post(
        f"{S}/applications", json=enrol(svc_client, item_id="mar_marriage_registration")
    )
    assert r.status_code == 400 and "办事指南" in r.json()["detail"]
    # Nobody applies for a person whose card was not read here: no session, no application.
    r = svc_client.post(f"{S}/applications", json=enrol(svc_client, person_session="x" * 43))
    assert r.status_code == 403


def test_progress_by_number_and_by_id_with_sms_on_each_change(
    svc_client: TestClient, svc_ctx: ServiceContext
) -> None:
    no = svc_client.post(f"{S}/applications", json=enrol(svc_client)).json()["acceptance_no"]
    with svc_ctx.factory() as s, s.begin():
        advance(s, svc_ctx.notifier, no, "reviewing", "社保中心审核", svc_ctx.clock.now())
    with svc_ctx.factory() as s, s.begin():
        advance(s, svc_ctx.notifier, no, "done", "参保登记完成", svc_ctx.clock.now())
    texts = [m.text for m in sms(svc_ctx)]
    assert len(texts) == 3 and "已办结" in texts[-1]
    by_no = svc_client.post(f"{S}/query/applications", json={"acceptance_no": no}).json()
    record = by_no["records"][0]
    assert [h["status"] for h in record["history"]] == ["accepted", "reviewing", "done"]
    assert by_no["person"]["id_masked"] == "4102**********5018"
    by_id = svc_client.post(
        f"{S}/query/applications", json={"person_session": session(svc_client, "zhao_lei")}
    )
    assert [r["acceptance_no"] for r in by_id.json()["records"]] == [no]


def test_seeded_applications_and_query_errors(svc_client: TestClient) -> None:
    body = svc_client.post(
        f"{S}/query/applications", json={"person_session": session(svc_client, "wang_fang")}
    ).json()
    assert [r["status"] for r in body["records"]] == ["reviewing", "done"]
    r = svc_client.post(f"{S}/query/applications", json={"acceptance_no": "20200101000001"})
    assert r.status_code == 404
    r = svc_client.post(f"{S}/query/applications", json={})
    assert r.status_code == 422
    r = svc_client.post(f"{S}/query/applications", json={"acceptance_no": "12ab"})
    assert r.status_code == 422


def test_due_date_skips_weekends() -> None:
    from datetime import date

    assert due_date(date(2026, 11, 20), 1) == date(2026, 11, 23)  # Friday → Monday
    assert due_date(date(2026, 11, 22), 10) == date(2026, 12, 4)
    assert due_date(date(2026, 11, 22), 0) == date(2026, 11, 22)


def test_no_sms_for_a_change_that_rolled_back(
    svc_client: TestClient, svc_ctx: ServiceContext
) -> None:
    no = svc_client.post(f"{S}/applications", json=enrol(svc_client)).json()["acceptance_no"]
    with svc_ctx.factory() as s, s.begin():
        advance(s, svc_ctx.notifier, no, "done", "办结", svc_ctx.clock.now())
        s.rollback()
    assert len(sms(svc_ctx)) == 1  # only the acceptance message
    status = svc_client.post(f"{S}/query/applications", json={"acceptance_no": no}).json()
    assert status["records"][0]["status"] == "accepted"

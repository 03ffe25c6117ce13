"""好差评 and queue tickets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.services.clock import ManualClock
from hub.services.context import ServiceContext
from hub.services.models import RatingRow
from hub.services.tickets import call_next
from tests.hub.services.conftest import START, S


def rating(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "service_id": "rsi_contribution_query",
        "level": 1,
        "reasons": ["fast", "easy_terminal"],
        "terminal_session_id": "sess-7f3a",
        "at": START.isoformat(),
    }
    body.update(over)
    return body


def test_reasons_list(svc_client: TestClient) -> None:
    body = svc_client.get(f"{S}/ratings/reasons").json()
    assert [lv["name"] for lv in body["levels"]] == [
        "非常满意", "满意", "基本满意", "不满意", "非常不满意",
    ]  # fmt: skip
    kinds = {r["kind"] for r in body["reasons"]}
    assert kinds == {"good", "bad"}


def test_rating_is_stored_without_personal_data(
    svc_client: TestClient, svc_ctx: ServiceContext
) -> None:
    r = svc_client.post(f"{S}/ratings", json=rating())
    assert r.status_code == 201 and r.json()["level_name"] == "非常满意"
    r = svc_client.post(
        f"{S}/ratings", json=rating(service_id="general", level=5, reasons=["device_fault"])
    )
    assert r.status_code == 201
    with svc_ctx.factory() as s:
        rows = list(s.scalars(select(RatingRow).order_by(RatingRow.id)))
    assert [(x.service_id, x.level, x.reasons) for x in rows] == [
        ("rsi_contribution_query", 1, ["easy_terminal", "fast"]),
        ("general", 5, ["device_fault"]),
    ]
    columns = set(RatingRow.__table__.columns.keys())
    assert columns == {
        "id", "service_id", "level", "reasons", "terminal_session_id", "at", "received_at",
    }  # fmt: skip


def test_rating_errors(svc_client: TestClient) -> None:
    cases = [
        (rating(level=0), 422),
        (rating(level=6), 422),
        (rating(service_id="nope"), 404),
        (rating(reasons=["made_up"]), 400),
        (rating(level=4, reasons=[]), 400),
        (rating(level=5, reasons=["fast"]), 400),
        (rating(at=(START + timedelta(hours=2)).isoformat()), 400),
        (rating(at=(START - timedelta(days=365)).isoformat()), 400),
        (rating(terminal_session_id=""), 422),
    ]
    for body, code in cases:
        r = svc_client.post(f"{S}/ratings", json=body)
        assert r.status_code == code, (body, r.text)


def test_tickets_count_per_queue_and_day(
    svc_client: TestClient, svc_ctx: ServiceContext, svc_clock: ManualClock
) -> None:
    types = svc_client.get(f"{S}/tickets/types", params={"service_point": "lk-zwfw"}).json()
    assert [t["code"] for t in types["types"]] == ["A", "B", "C", "D", "E"]
    assert all(t["waiting"] == 0 for t in types["types"])
    take = {"service_point": "lk-zwfw", "business_type": "A"}
    first = svc_client.post(f"{S}/tickets", json=take).json()
    second = svc_client.post(f"{S}/tickets", json=take).json()
    other = svc_client.post(f"{S}/tickets", json={**take, "business_type": "B"}).json()
    assert (first["number"], first["waiting_ahead"]) == ("A001", 0)
    assert (second["number"], second["waiting_ahead"]) == ("A002", 1)
    assert (other["number"], other["waiting_ahead"]) == ("B001", 0)
    assert second["business_type_name"] == "社保医保"
    assert second["printable"]["lines"][0] == {"label": "排队号", "value": "A002"}
    with svc_ctx.factory() as s, s.begin():
        assert call_next(s, "lk-zwfw", "A", svc_clock.now()) == "A001"
    third = svc_client.post(f"{S}/tickets", json=take).json()
    assert (third["number"], third["waiting_ahead"]) == ("A003", 1)
    types = svc_client.get(f"{S}/tickets/types", params={"service_point": "lk-zwfw"}).json()
    assert types["types"][0]["waiting"] == 2
    svc_clock.advance(86400)  # a new day starts a new queue
    assert svc_client.post(f"{S}/tickets", json=take).json()["number"] == "A001"


def test_ticket_errors(svc_client: TestClient) -> None:
    r = svc_client.get(f"{S}/tickets/types", params={"service_point": "nowhere"})
    assert r.status_code == 404
    r = svc_client.post(f"{S}/tickets", json={"service_point": "cg-huzhai", "business_type": "Z"})
    assert r.status_code == 404 and "业务" in r.json()["detail"]
    r = svc_client.post(f"{S}/tickets", json={"service_point": "cg-huzhai", "business_type": "a1"})
    assert r.status_code == 422
    assert svc_client.get(f"{S}/tickets/types").status_code == 422

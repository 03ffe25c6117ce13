"""好差评 and queue tickets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.services.clock import ManualClock
from hub.services.context import ServiceContext
from hub.services.models import RatingRow
from hub.services.payments.sandbox import SandboxPaymentProvider
from hub.services.tickets import call_next
from tests.hub.services.conftest import START, TERMINAL_TOKEN, S, as_terminal, build_services_app


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
        f"{S}/ratings",
        json=rating(
            service_id="general", level=5, reasons=["device_fault"], terminal_session_id="sess-8b21"
        ),
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
        "terminal_id",
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
    r = svc_client.post(f"{S}/tickets", json={"service_point": "lk-zwfw", "business_type": "Z"})
    assert r.status_code == 404 and "业务" in r.json()["detail"]
    r = svc_client.post(f"{S}/tickets", json={"service_point": "lk-zwfw", "business_type": "a1"})
    assert r.status_code == 422
    assert svc_client.get(f"{S}/tickets/types").status_code == 422


# --- issue 13, attack class 9: one rating per kiosk session; tickets scoped and limited -----


def _rating_rows(ctx: ServiceContext) -> list[tuple[int | None, str, int]]:
    with ctx.factory() as s:
        rows = s.scalars(select(RatingRow).order_by(RatingRow.id))
        return [(r.terminal_id, r.terminal_session_id, r.level) for r in rows]


def test_a_kiosk_session_rates_once(svc_client: TestClient, svc_ctx: ServiceContext) -> None:
    first = svc_client.post(f"{S}/ratings", json=rating(level=1))
    assert first.status_code == 201, first.text
    # Again, and with another level: answered with the first rating, nothing stored.
    again = svc_client.post(f"{S}/ratings", json=rating(level=5, reasons=["device_fault"]))
    assert again.status_code == 200, again.text
    assert again.json() == first.json() == {"id": first.json()["id"], "level_name": "非常满意"}
    # The same opaque id from another terminal is another session.
    other = svc_client.post(f"{S}/ratings", json=rating(level=2), headers=as_terminal(2))
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    assert _rating_rows(svc_ctx) == [(1, "sess-7f3a", 1), (2, "sess-7f3a", 2)]


def test_tickets_only_at_the_terminals_own_service_point(svc_client: TestClient) -> None:
    elsewhere = {"service_point": "cg-huzhai", "business_type": "A"}
    taken = svc_client.post(f"{S}/tickets", json=elsewhere)
    assert taken.status_code == 403 and taken.json() == {"detail": "只能在本服务点取号"}
    listed = svc_client.get(f"{S}/tickets/types", params={"service_point": "cg-huzhai"})
    assert listed.status_code == 403
    # Without a service point in the body, the terminal's own one.
    own = svc_client.post(f"{S}/tickets", json={"business_type": "A"})
    assert own.status_code == 201 and own.json()["service_point_name"] == "兰考县政务服务中心"
    # The refusals drew nothing: the own point's queue goes on from A001.
    again = svc_client.post(f"{S}/tickets", json={"service_point": "lk-zwfw", "business_type": "A"})
    assert again.json()["number"] == "A002"


def test_a_terminal_enrolled_without_a_service_point_draws_no_ticket(
    svc_db_url: str, svc_clock: ManualClock, sandbox: SandboxPaymentProvider
) -> None:
    app = build_services_app(svc_db_url, svc_clock, sandbox, service_point=None)
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {TERMINAL_TOKEN}"
        r = c.post(f"{S}/tickets", json={"service_point": "lk-zwfw", "business_type": "A"})
    assert r.status_code == 403 and "未登记所在服务点" in r.json()["detail"]


def test_tickets_are_rate_limited_per_terminal(
    svc_client: TestClient, svc_clock: ManualClock
) -> None:
    take = {"service_point": "lk-zwfw", "business_type": "A"}
    numbers = [svc_client.post(f"{S}/tickets", json=take).json()["number"] for _ in range(6)]
    assert numbers == [f"A{i:03d}" for i in range(1, 7)]
    refused = svc_client.post(f"{S}/tickets", json=take)
    assert refused.status_code == 429 and refused.json() == {"detail": "取号过于频繁，请稍后再试"}
    # Another terminal at the same point is not held back, and the refusal drew no number.
    assert (
        svc_client.post(f"{S}/tickets", json=take, headers=as_terminal(2)).json()["number"]
        == "A007"
    )
    svc_clock.advance(61)  # the minute has passed
    assert svc_client.post(f"{S}/tickets", json=take).status_code == 201


def test_the_hourly_ticket_limit(
    svc_db_url: str, svc_clock: ManualClock, sandbox: SandboxPaymentProvider
) -> None:
    app = build_services_app(svc_db_url, svc_clock, sandbox, ticket_limit_per_minute=600)
    take = {"service_point": "lk-zwfw", "business_type": "E"}
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {TERMINAL_TOKEN}"
        for _ in range(120):
            assert c.post(f"{S}/tickets", json=take).status_code == 201
            svc_clock.advance(10)
        assert c.post(f"{S}/tickets", json=take).status_code == 429
        svc_clock.advance(3600)
        assert c.post(f"{S}/tickets", json=take).status_code == 201

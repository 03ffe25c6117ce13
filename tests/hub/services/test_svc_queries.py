"""Identify and the record queries: records, totals, masked header, receipt content."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.hub.services.conftest import CITIZENS, S, id_of

UNKNOWN_VALID_ID = "410225199001010012"  # valid check character, nobody in the demo


def test_identify_by_id_and_by_card_agree(svc_client: TestClient) -> None:
    by_id = svc_client.post(f"{S}/query/identify", json={"id_number": id_of("liu_guiying")}).json()
    card = CITIZENS["liu_guiying"]["ss_card_number"]
    by_card = svc_client.post(f"{S}/query/identify", json={"ss_card_number": card}).json()
    assert by_id == by_card
    assert (
        by_id["age"] == 80 and by_id["sex"] == "女" and by_id["id_masked"] == "4102**********4067"
    )
    assert by_id["eligible"]["elderly_allowance_apply"] is True
    assert by_id["eligible"]["pension_receiving"] is True


def test_identify_flags_follow_the_profiles(svc_client: TestClient) -> None:
    zhao = svc_client.post(f"{S}/query/identify", json={"id_number": id_of("zhao_lei")}).json()
    assert zhao["eligible"]["resident_pension_enrol"] is True
    assert zhao["eligible"]["medical_due_years"] == [2027]
    li = svc_client.post(f"{S}/query/identify", json={"id_number": id_of("li_jianguo")}).json()
    assert li["eligible"]["medical_due_years"] == [] and li["age"] == 68


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"id_number": id_of("wang_fang"), "ss_card_number": "H41020003"},
        {"id_number": "410225198511203021"},
        {"ss_card_number": "x!"},
        {"id_number": 410225198511203020},
    ],
)
def test_identify_rejects_malformed_bodies(svc_client: TestClient, body: dict[str, object]) -> None:
    r = svc_client.post(f"{S}/query/identify", json=body)
    assert r.status_code == 422
    # The submitted numbers are not echoed back (pydantic's "input" is scrubbed).
    assert "41022519851120302" not in r.text and "input" not in r.text


def test_a_bad_check_character_is_explained(svc_client: TestClient) -> None:
    r = svc_client.post(f"{S}/query/identify", json={"id_number": "410225198511203021"})
    assert r.status_code == 422
    assert "校验位不正确" in r.json()["detail"][0]["msg"]


def test_unknown_person_is_a_clear_404(svc_client: TestClient) -> None:
    for path in ("identify", "contributions", "pension", "medical", "subsidies", "applications"):
        r = svc_client.post(f"{S}/query/{path}", json={"id_number": UNKNOWN_VALID_ID})
        assert r.status_code == 404, path
        assert "未查询到" in r.json()["detail"]
    r = svc_client.post(f"{S}/query/identify", json={"ss_card_number": "H99999999"})
    assert r.status_code == 404


def test_contributions_totals_match_records(svc_client: TestClient) -> None:
    body = svc_client.post(
        f"{S}/query/contributions", json={"id_number": id_of("wang_fang")}
    ).json()
    records = body["records"]
    assert [r["year"] for r in records] == list(range(2012, 2027))
    assert {r["grade_yuan"] for r in records} == {200, 300, 500}
    assert body["totals"]["amount_fen"] == sum(r["amount_fen"] for r in records)
    assert body["totals"]["subsidy_fen"] == sum(r["subsidy_fen"] for r in records)
    assert body["totals"]["years"] == 15
    assert body["person"]["name_masked"] == "王*"
    assert len(body["printable"]["table"]["rows"]) == 15
    assert id_of("wang_fang") not in json.dumps(body)


def test_pension_for_a_receiver(svc_client: TestClient) -> None:
    body = svc_client.post(
        f"{S}/query/pension", json={"id_number": id_of("li_jianguo"), "months": 6}
    ).json()
    assert body["receiving"] is True and len(body["records"]) == 6
    assert body["records"][0]["month"] == "2026-11"
    assert body["totals"]["amount_fen"] == sum(r["total_fen"] for r in body["records"])
    assert body["records"][0]["account_fen"] > 0  # he contributed 2010-2017
    assert body["bank_masked"] == "622848*********9015"
    zhang = svc_client.post(f"{S}/query/pension", json={"id_number": id_of("zhang_xiulan")}).json()
    assert zhang["records"][0]["account_fen"] == 0 and len(zhang["records"]) == 12
    r = svc_client.post(f"{S}/query/pension", json={"id_number": id_of("li_jianguo"), "months": 99})
    assert r.status_code == 422


def test_medical_shows_the_2027_premium_due(svc_client: TestClient) -> None:
    body = svc_client.post(f"{S}/query/medical", json={"id_number": id_of("zhao_lei")}).json()
    last = body["records"][-1]
    assert last == {
        "year": 2027,
        "premium_fen": 40000,
        "status": "due",
        "status_text": "待缴费",
        "paid_on": None,
    }
    assert body["due_fen"] == 40000 and body["insured"] is True


def test_subsidies_totals_by_item(svc_client: TestClient) -> None:
    body = svc_client.post(f"{S}/query/subsidies", json={"id_number": id_of("ma_wenhua")}).json()
    assert {t["item"] for t in body["totals"]} == {"耕地地力保护补贴"}
    assert body["total_fen"] == sum(r["amount_fen"] for r in body["records"])
    assert body["records"][0]["basis"] == "36.5亩 × 105元/亩"
    zhang = svc_client.post(f"{S}/query/subsidies", json={"id_number": id_of("zhang_xiulan")})
    items = {t["item"] for t in zhang.json()["totals"]}
    assert items == {"耕地地力保护补贴", "高龄津贴"}


def test_seeding_is_idempotent_and_deterministic(svc_client: TestClient, svc_app: object) -> None:
    from hub.services.demo_provider import seed_demo_data

    first = svc_client.post(f"{S}/query/contributions", json={"id_number": id_of("ma_wenhua")})
    ctx = svc_client.app.state.services  # type: ignore[attr-defined]
    assert seed_demo_data(ctx.factory, "config/demo/citizens.json", ctx.secret, ctx.clock) == 0
    again = svc_client.post(f"{S}/query/contributions", json={"id_number": id_of("ma_wenhua")})
    assert first.json()["records"] == again.json()["records"]


def test_no_demo_data_means_nobody_is_known(
    svc_db_url: str, svc_clock: object, sandbox: object
) -> None:
    from tests.hub.services.conftest import build_services_app

    app = build_services_app(svc_db_url, svc_clock, sandbox, demo_data=False)  # type: ignore[arg-type]
    with TestClient(app) as client:
        r = client.post(f"{S}/query/identify", json={"id_number": id_of("wang_fang")})
    assert r.status_code == 404

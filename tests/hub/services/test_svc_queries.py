"""Identify and the record queries: records, totals, masked header, receipt content."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.hub.services.conftest import (
    TERMINAL_TOKEN,
    S,
    evidence_of,
    id_of,
    open_session,
    session,
    signed_post,
)

UNKNOWN_VALID_ID = "410225199001010012"  # valid check character, nobody in the demo


def test_identify_by_id_and_by_card_agree(svc_client: TestClient) -> None:
    by_id = svc_client.post(
        f"{S}/query/identify", json={"person_session": session(svc_client, "liu_guiying")}
    ).json()
    by_card = open_session(svc_client, "liu_guiying", card="sscard")["person"]
    assert by_id == by_card
    assert (
        by_id["age"] == 80 and by_id["sex"] == "女" and by_id["id_masked"] == "4102**********4067"
    )
    assert by_id["eligible"]["elderly_allowance_apply"] is True
    assert by_id["eligible"]["pension_receiving"] is True


def test_identify_flags_follow_the_profiles(svc_client: TestClient) -> None:
    zhao = svc_client.post(
        f"{S}/query/identify", json={"person_session": session(svc_client, "zhao_lei")}
    ).json()
    assert zhao["eligible"]["resident_pension_enrol"] is True
    assert zhao["eligible"]["medical_due_years"] == [2027]
    li = svc_client.post(
        f"{S}/query/identify", json={"person_session": session(svc_client, "li_jianguo")}
    ).json()
    assert li["eligible"]["medical_due_years"] == [] and li["age"] == 68


@pytest.mark.parametrize(
    "body",
    [
        {},
        # The raw-number path is gone: a number alone, however well-formed, is no body.
        {"id_number": id_of("wang_fang"), "ss_card_number": "H41020003"},
        {"id_number": "410225198511203021"},
        {"ss_card_number": "x!"},
        {"id_number": 410225198511203020},
        {"person_session": "short"},
    ],
)
def test_identify_rejects_malformed_bodies(svc_client: TestClient, body: dict[str, object]) -> None:
    r = svc_client.post(f"{S}/query/identify", json=body)
    assert r.status_code == 422
    # The submitted numbers are not echoed back (pydantic's "input" is scrubbed).
    assert "41022519851120302" not in r.text and "input" not in r.text


def test_a_bad_check_character_is_explained(svc_client: TestClient) -> None:
    evidence = {**evidence_of("wang_fang"), "id_number": "410225198511203021"}
    r = signed_post(
        svc_client,
        f"{S}/person-sessions",
        {"evidence": evidence},
        svc_client.app.state.test_signing_key,  # type: ignore[attr-defined]
        timestamp=int(svc_client.app.state.services.clock.now().timestamp()),  # type: ignore[attr-defined]
    )
    assert r.status_code == 422
    assert "校验位不正确" in r.json()["detail"][0]["msg"]


def test_no_session_is_one_clear_refusal(svc_client: TestClient) -> None:
    for path in ("identify", "contributions", "pension", "medical", "subsidies", "applications"):
        r = svc_client.post(f"{S}/query/{path}", json={"person_session": "n" * 43})
        assert r.status_code == 403, path
        assert r.json() == {"detail": "请重新刷身份证或社保卡后再办理"}


def test_contributions_totals_match_records(svc_client: TestClient) -> None:
    body = svc_client.post(
        f"{S}/query/contributions", json={"person_session": session(svc_client, "wang_fang")}
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
        f"{S}/query/pension",
        json={"person_session": session(svc_client, "li_jianguo"), "months": 6},
    ).json()
    assert body["receiving"] is True and len(body["records"]) == 6
    assert body["records"][0]["month"] == "2026-11"
    assert body["totals"]["amount_fen"] == sum(r["total_fen"] for r in body["records"])
    assert body["records"][0]["account_fen"] > 0  # he contributed 2010-2017
    assert body["bank_masked"] == "622848*********9015"
    zhang = svc_client.post(
        f"{S}/query/pension", json={"person_session": session(svc_client, "zhang_xiulan")}
    ).json()
    assert zhang["records"][0]["account_fen"] == 0 and len(zhang["records"]) == 12
    r = svc_client.post(
        f"{S}/query/pension",
        json={"person_session": session(svc_client, "li_jianguo"), "months": 99},
    )
    assert r.status_code == 422


def test_medical_shows_the_2027_premium_due(svc_client: TestClient) -> None:
    body = svc_client.post(
        f"{S}/query/medical", json={"person_session": session(svc_client, "zhao_lei")}
    ).json()
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
    body = svc_client.post(
        f"{S}/query/subsidies", json={"person_session": session(svc_client, "ma_wenhua")}
    ).json()
    assert {t["item"] for t in body["totals"]} == {"耕地地力保护补贴"}
    assert body["total_fen"] == sum(r["amount_fen"] for r in body["records"])
    assert body["records"][0]["basis"] == "36.5亩 × 105元/亩"
    zhang = svc_client.post(
        f"{S}/query/subsidies", json={"person_session": session(svc_client, "zhang_xiulan")}
    )
    items = {t["item"] for t in zhang.json()["totals"]}
    assert items == {"耕地地力保护补贴", "高龄津贴"}


def test_seeding_is_idempotent_and_deterministic(svc_client: TestClient, svc_app: object) -> None:
    from hub.services.demo_provider import seed_demo_data

    first = svc_client.post(
        f"{S}/query/contributions", json={"person_session": session(svc_client, "ma_wenhua")}
    )
    ctx = svc_client.app.state.services  # type: ignore[attr-defined]
    assert seed_demo_data(ctx.factory, "config/demo/citizens.json", ctx.secret, ctx.clock) == 0
    again = svc_client.post(
        f"{S}/query/contributions", json={"person_session": session(svc_client, "ma_wenhua")}
    )
    assert first.json()["records"] == again.json()["records"]


def test_no_demo_data_means_nobody_is_known(
    svc_db_url: str, svc_clock: object, sandbox: object
) -> None:
    from tests.hub.services.conftest import build_services_app

    app = build_services_app(svc_db_url, svc_clock, sandbox, demo_data=False)  # type: ignore[arg-type]
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {TERMINAL_TOKEN}"
        r = signed_post(
            client,
            f"{S}/person-sessions",
            {"evidence": evidence_of("wang_fang")},
            app.state.test_signing_key,
            timestamp=int(svc_clock.now().timestamp()),  # type: ignore[attr-defined]
        )
    # No platform record confirms the card: no person session, the one refusal.
    assert r.status_code == 403 and r.json() == {"detail": "未能核验您的证件，请到窗口咨询"}

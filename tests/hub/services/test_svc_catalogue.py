"""The catalogue file, its validation, seeding and the catalogue/guide routes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.services.catalogue import CatalogueError, load_catalogue, parse_catalogue
from hub.services.catalogue_store import set_item_enabled
from hub.services.clock import ManualClock
from hub.services.payments.sandbox import SandboxPaymentProvider
from hub.services.topics import TOPICS
from tests.hub.services.conftest import REPO, TERMINAL_TOKEN, S, build_services_app

RAW: dict[str, Any] = json.loads((REPO / "config/catalogue.json").read_text(encoding="utf-8"))


def test_thirty_one_topics_in_life_order() -> None:
    assert len(TOPICS) == 31
    assert len({t.code for t in TOPICS}) == 31
    assert (TOPICS[0].name, TOPICS[-1].name) == ("生育收养", "其他")
    assert TOPICS[15].name == "社会保障" and TOPICS[15].note == "社会保险、社会救助"


def test_shipped_catalogue_is_valid_and_covers_the_required_topics() -> None:
    cat = load_catalogue(REPO / "config/catalogue.json")
    assert 15 <= len(cat.items) <= 30
    names = {t.code: t.name for t in TOPICS}
    covered = {names[i.topic] for i in cat.items}
    for topic in (
        "社会保障",
        "医疗卫生",
        "离职退休",
        "户籍办理",
        "婚姻登记",
        "生育收养",
        "交通出行",
    ):
        assert topic in covered
    for item in cat.items:
        assert item.legal_basis and item.process and item.where and item.department


def _problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(raw)
    return info.value.problems


def test_validation_lists_every_problem_with_its_path() -> None:
    raw = copy.deepcopy(RAW)
    raw["items"][0]["topic"] = "ZR40"
    raw["items"][1]["id"] = raw["items"][2]["id"]
    raw["items"][3]["enabled"] = {"nowhere": True}
    raw["items"][0]["capabilities"] = ["guide", "apply"]
    raw["items"][0]["form"] = None
    problems = _problems(raw)
    text = "\n".join(problems)
    assert "items[0] (rsi_resident_pension_enrol).topic: unknown topic code 'ZR40'" in text
    assert "appears more than once" in text
    assert "unknown place 'nowhere'" in text
    assert "form: required when capabilities include 'apply'" in text
    assert len(problems) >= 4


def test_type_errors_name_the_field() -> None:
    raw = copy.deepcopy(RAW)
    raw["items"][2]["visits"] = "跑十次"
    del raw["items"][4]["department"]
    problems = _problems(raw)
    assert any(p.startswith("items.2.visits") for p in problems)
    assert any(p.startswith("items.4.department") for p in problems)


def test_pay_needs_a_payable_and_grades_are_required() -> None:
    raw = copy.deepcopy(RAW)
    raw["payables"] = []
    raw["items"][0]["options"] = {}
    text = "\n".join(_problems(raw))
    assert "'pay' but no payable refers to this item" in text
    assert "grades_yuan" in text


def test_load_reports_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="file not found"):
        load_catalogue(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not valid JSON"):
        load_catalogue(bad)


def test_catalogue_default_lists_topics_in_order(svc_client: TestClient) -> None:
    body = svc_client.get(f"{S}/catalogue").json()
    codes = [t["code"] for t in body["topics"]]
    assert codes == sorted(codes)
    assert body["place"] is None and body["county"] == "兰考县"
    social = next(t for t in body["topics"] if t["name"] == "社会保障")
    ids = [i["id"] for i in social["items"]]
    assert "rsi_resident_pension_enrol" in ids and "rsi_elderly_allowance" in ids
    assert all(t["items"] for t in body["topics"])  # only topics with enabled items


def test_catalogue_per_place(svc_client: TestClient) -> None:
    bank = svc_client.get(f"{S}/catalogue", params={"place": "lkrcb-main"}).json()
    assert bank["place"]["name"] == "兰考农商银行营业部"
    ids = {i["id"] for t in bank["topics"] for i in t["items"]}
    assert "rsi_elderly_allowance" not in ids and "med_resident_pay" in ids
    village = svc_client.get(f"{S}/catalogue", params={"place": "hm-xiawuying"}).json()
    ids = {i["id"] for t in village["topics"] for i in t["items"]}
    assert "tra_driver_license_renewal" not in ids and "rsi_elderly_allowance" in ids
    r = svc_client.get(f"{S}/catalogue", params={"place": "atlantis"})
    assert r.status_code == 404 and "服务点" in r.json()["detail"]


def test_topics_route_lists_all_31(svc_client: TestClient) -> None:
    body = svc_client.get(f"{S}/catalogue/topics").json()
    assert len(body) == 31 and body[11] == {"code": "ZR12", "name": "婚姻登记", "note": ""}


def test_guide_has_every_element(svc_client: TestClient) -> None:
    g = svc_client.get(f"{S}/guides/id_card_renewal").json()
    assert g["topic_name"] == "证件办理"
    assert g["fees"][0]["amount_fen"] == 2000 and g["fees_text"] == "20.00元"
    assert g["time_limits"] == {
        "statutory_days": 60,
        "promised_days": 15,
        "note": g["time_limits"]["note"],
    }
    for key in ("legal_basis", "conditions", "materials", "process", "where", "phone", "visits"):
        assert g[key]
    assert "enabled" not in g
    free = svc_client.get(f"{S}/guides/mar_marriage_registration").json()
    assert free["fees_text"] == "不收费"
    r = svc_client.get(f"{S}/guides/no_such_item")
    assert r.status_code == 404 and r.json()["detail"] == "未找到该事项的办事指南"


def test_operator_edits_survive_a_restart(
    svc_app: FastAPI, svc_db_url: str, svc_clock: ManualClock, sandbox: SandboxPaymentProvider
) -> None:
    factory = svc_app.state.sessionmaker
    with factory() as s, s.begin():
        set_item_enabled(s, "med_resident_pay", "*", False)
        with pytest.raises(KeyError):
            set_item_enabled(s, "nope", "*", False)
    again = build_services_app(svc_db_url, svc_clock, sandbox)  # start-up seeding runs again
    with TestClient(again) as client:
        client.headers["Authorization"] = f"Bearer {TERMINAL_TOKEN}"
        ids = {i["id"] for t in client.get(f"{S}/catalogue").json()["topics"] for i in t["items"]}
    assert "med_resident_pay" not in ids and "med_insurance_query" in ids

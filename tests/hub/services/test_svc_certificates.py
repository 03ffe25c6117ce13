"""社保参保证明 with its verification page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hub.services.clock import ManualClock
from tests.hub.services.conftest import CITIZENS, S, id_of, session


def test_certificate_and_verification(svc_client: TestClient, svc_clock: ManualClock) -> None:
    r = svc_client.post(
        f"{S}/certificates/insurance", json={"person_session": session(svc_client, "wang_fang")}
    )
    assert r.status_code == 200, r.text
    cert = r.json()
    code = cert["code"]
    assert len(code) == 16 and cert["qr_url"].endswith(f"/verify/{code}")
    facts = {f["label"]: f["value"] for f in cert["facts"]}
    assert facts["身份证号"] == "4102**********3020"
    assert facts["城乡居民基本养老保险"] == "参保缴费，累计缴费15年"
    assert facts["城乡居民基本医疗保险"] == "参保，已缴至2026年度"
    assert cert["printable"]["verification_code"] == code
    assert cert["valid_until"] == "2027-02-20"

    page = svc_client.get(f"/verify/{code}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "真实有效" in page.text and "4102**********3020" in page.text
    assert id_of("wang_fang") not in page.text and CITIZENS["wang_fang"]["name"] not in page.text
    assert svc_client.get(f"/verify/{code.lower()}").status_code == 200

    svc_clock.advance(91 * 86400)
    assert "已超过有效期" in svc_client.get(f"/verify/{code}").text


def test_unknown_code_is_a_404_page(svc_client: TestClient) -> None:
    page = svc_client.get("/verify/AAAAAAAAAAAAAAAA")
    assert page.status_code == 404 and "未找到" in page.text


def test_no_certificate_without_a_person_session(svc_client: TestClient) -> None:
    r = svc_client.post(f"{S}/certificates/insurance", json={"id_number": "410225199001010012"})
    assert r.status_code == 422
    r = svc_client.post(f"{S}/certificates/insurance", json={"person_session": "n" * 43})
    assert r.status_code == 403


def test_receiver_certificate(svc_client: TestClient) -> None:
    cert = svc_client.post(
        f"{S}/certificates/insurance", json={"person_session": session(svc_client, "zhang_xiulan")}
    ).json()
    facts = {f["label"]: f["value"] for f in cert["facts"]}
    assert facts["城乡居民基本养老保险"].startswith("正常领取待遇")
    assert facts["参保地"] == "兰考县东坝头镇"

"""补打: the hub keeps each certificate, acceptance slip and payment receipt it issues
for a person and lists those of the last 90 days, newest first, masked."""

from __future__ import annotations

import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hub.services.clock import ManualClock
from hub.services.context import ServiceContext
from hub.services.models import DocumentRow
from tests.hub.services.conftest import CITIZENS, S, id_of, public_key_of, session

WECHAT_CODE = "134567890123456789"


def documents(client: TestClient, key: str) -> list[dict[str, Any]]:
    r = client.post(f"{S}/documents", json={"person_session": session(client, key)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["reprint_days"] == 90
    docs: list[dict[str, Any]] = body["documents"]
    return docs


def count_rows(ctx: ServiceContext) -> int:
    with ctx.factory() as s:
        return int(s.scalar(select(func.count(DocumentRow.id))) or 0)


def enrol(client: TestClient, key: str) -> dict[str, Any]:
    return {
        "item_id": "rsi_resident_pension_enrol",
        "person_session": session(client, key),
        "form": {"phone": "18637812345", "grade_yuan": 300},
        "delivery": {"method": "counter"},
        "consent": True,
        "idempotency_key": f"docs-enrol-{key}",
    }


def test_every_issued_printable_is_listed_newest_first(
    svc_client: TestClient, svc_clock: ManualClock, svc_ctx: ServiceContext
) -> None:
    assert documents(svc_client, "zhao_lei") == []
    cert = svc_client.post(
        f"{S}/certificates/insurance", json={"person_session": session(svc_client, "li_jianguo")}
    )
    assert cert.status_code == 200
    # Not kept: queue tickets (valid for the day) and query results (queried afresh).
    ticket = svc_client.post(
        f"{S}/tickets", json={"service_point": "lk-zwfw", "business_type": "A"}
    )
    assert ticket.status_code == 201, ticket.text
    query = svc_client.post(
        f"{S}/query/contributions", json={"person_session": session(svc_client, "zhao_lei")}
    )
    assert query.status_code == 200
    assert documents(svc_client, "zhao_lei") == []

    svc_clock.advance(60)
    slip = svc_client.post(f"{S}/applications", json=enrol(svc_client, "zhao_lei"))
    assert slip.status_code == 201, slip.text
    svc_clock.advance(60)
    cert = svc_client.post(
        f"{S}/certificates/insurance", json={"person_session": session(svc_client, "zhao_lei")}
    )
    assert cert.status_code == 200, cert.text
    svc_clock.advance(60)
    order = svc_client.post(
        f"{S}/payments/orders",
        json={
            "idempotency_key": "docs-order-0001",
            "item": "resident_medical_2027",
            "person_session": session(svc_client, "zhao_lei"),
            "payer_id_numbers": [id_of("zhao_lei"), id_of("wang_fang")],
            "method": "micropay",
            "auth_code": WECHAT_CODE,
        },
    ).json()
    assert order["status"] == "PAYING"  # the customer is still entering the password
    assert [d["kind"] for d in documents(svc_client, "zhao_lei")] == [
        "certificate",
        "acceptance_slip",
    ]
    svc_clock.advance(5)
    paid = svc_client.get(f"{S}/payments/orders/{order['order_no']}").json()
    assert paid["status"] == "PAID"

    docs = documents(svc_client, "zhao_lei")
    assert [d["kind"] for d in docs] == ["payment_receipt", "certificate", "acceptance_slip"]
    receipt, certificate, acceptance = docs
    # What was issued, as it was issued: the terminal prints these again.
    assert receipt["printable"] == paid["printable"]
    assert certificate["printable"] == cert.json()["printable"]
    assert acceptance["printable"] == slip.json()["printable"]
    assert (receipt["title"], receipt["detail"]) == ("缴费凭证", paid["item_name"])
    assert acceptance["detail"] == "城乡居民基本养老保险参保登记"
    assert certificate["detail"] == "" and certificate["printable"]["verification_code"]
    assert [d["issued_at"] for d in docs] == [
        "2026-11-22 10:03",
        "2026-11-22 10:02",
        "2026-11-22 10:01",
    ]
    # Masked as always: neither the ID number nor the name travels in full.
    text = json.dumps(docs, ensure_ascii=False)
    assert id_of("zhao_lei") not in text and CITIZENS["zhao_lei"]["name"] not in text
    assert "4102**********5018" in text
    # The family member it was paid for has the receipt too; others see nothing of it.
    assert "payment_receipt" in [d["kind"] for d in documents(svc_client, "wang_fang")]
    assert [d["kind"] for d in documents(svc_client, "li_jianguo")] == ["certificate"]

    # Polling the paid order again, or replaying the application, adds nothing.
    before = count_rows(svc_ctx)
    svc_client.get(f"{S}/payments/orders/{order['order_no']}")
    assert (
        svc_client.post(f"{S}/applications", json=enrol(svc_client, "zhao_lei")).status_code == 201
    )
    assert count_rows(svc_ctx) == before


def test_ninety_days_then_gone(
    svc_client: TestClient, svc_clock: ManualClock, svc_ctx: ServiceContext
) -> None:
    svc_client.post(
        f"{S}/certificates/insurance", json={"person_session": session(svc_client, "li_jianguo")}
    )
    svc_clock.advance(89 * 86400)
    assert len(documents(svc_client, "li_jianguo")) == 1
    svc_clock.advance(2 * 86400)
    assert documents(svc_client, "li_jianguo") == []
    # Deleted, not only hidden (PIPL Art. 19: kept no longer than needed) — but the
    # certificate itself stays verifiable on /verify (its own table).
    with svc_ctx.factory() as s:
        refs = set(s.scalars(select(DocumentRow.person_ref)))
    assert svc_ctx.ref(id_of("li_jianguo")) not in refs


def test_demo_applications_come_with_their_slips(svc_client: TestClient) -> None:
    """wang_fang's seeded applications (40 and 6 days ago) were 'printed' back then."""
    docs = documents(svc_client, "wang_fang")
    assert [(d["kind"], d["detail"]) for d in docs] == [
        ("acceptance_slip", "门诊慢特病待遇认定"),
        ("acceptance_slip", "异地就医备案"),
    ]
    assert docs[0]["issued_at"].startswith("2026-11-16")
    assert docs[0]["printable"]["issued_at"] == docs[0]["issued_at"]


def test_no_documents_by_a_typed_number_or_a_made_up_handle(svc_client: TestClient) -> None:
    r = svc_client.post(f"{S}/documents", json={"id_number": "410225199001010012"})
    assert r.status_code == 422 and "410225199001010012" not in r.text
    r = svc_client.post(f"{S}/documents", json={"person_session": "made-up-handle-0123456789"})
    assert r.status_code == 403 and "documents" not in r.json()


def test_the_migration_creates_the_documents_table(db_url: str) -> None:
    """Alembic alone (no create_all) makes svc_documents with its indexes."""
    from sqlalchemy import inspect

    from hub import schema
    from hub.db import make_engine

    engine = make_engine(db_url)
    try:
        schema.upgrade(engine)
        found = inspect(engine)
        assert "svc_documents" in found.get_table_names()
        indexes = {ix["name"] for ix in found.get_indexes("svc_documents")}
        assert {"ix_svc_documents_person_issued", "ix_svc_documents_issued_at"} <= indexes
    finally:
        engine.dispose()


def test_documents_through_the_migrated_schema(client: TestClient) -> None:
    """The full app on a database built by the Alembic revisions (SQLite and PostgreSQL):
    issue, list newest first, and replays that add nothing."""
    signing_key = Ed25519PrivateKey.generate()
    token = client.post(
        "/api/v1/terminal/enrol",
        json={
            "code": "DEMO-ENROL",
            "name": "docs-test",
            "place": {"county": "兰考县"},
            "public_key": public_key_of(signing_key),
        },
    ).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    codes = []
    for _ in range(2):
        r = client.post(
            f"{S}/certificates/insurance",
            json={
                "person_session": session(
                    client, "li_jianguo", signing_key=signing_key, headers=auth
                )
            },
            headers=auth,
        )
        assert r.status_code == 200, r.text
        codes.append(r.json()["code"])
    r = client.post(
        f"{S}/documents",
        json={
            "person_session": session(client, "li_jianguo", signing_key=signing_key, headers=auth)
        },
        headers=auth,
    )
    assert r.status_code == 200, r.text
    listed = [d["printable"]["verification_code"] for d in r.json()["documents"]]
    assert sorted(listed) == sorted(codes) and len(listed) == 2
    ids = [d["id"] for d in r.json()["documents"]]
    assert ids == sorted(ids, reverse=True)  # same minute: the later issue first

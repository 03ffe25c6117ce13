"""Issue 13, attack classes 1 and 2, against a real ``python -m hub``: a person's
data only where that person's card is on the reader, and payment orders that
belong to the terminal that made them.

1. An enrolled terminal typing a known citizen's ID number gets exactly what an
   unknown number gets, and no personal data; evidence that is forged, unsigned,
   signed by another key, stale or replayed opens nothing; a session handle works
   only on its own terminal and only while the session lives; a terminal over its
   hourly quota is refused and the console is alerted; family members' numbers
   are looked up only inside a session, answered with a masked name and amount.
2. Terminal B can neither read, cancel nor (sandbox) pay terminal A's order.

One hub for the module (starting one takes seconds); every test enrols its own
terminals, so the per-terminal quota and orders of one test are not another's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select

from hub.fleet.models import Alert, AuditEntry
from hub.services.clock import ManualClock
from hub.services.models import PersonSessionRow
from hub.services.payments.sandbox import SandboxPaymentProvider
from tests.hub.services.conftest import (
    CITIZENS,
    START,
    TERMINAL_TOKEN,
    build_services_app,
    evidence_of,
    open_session,
)
from tests.security.attacked_hub import (
    PERSON_SESSIONS_URL,
    AttackedHub,
    SigningTerminal,
    attacked_hub,
)

S = "/api/v1/services"
QUOTA = 8  # person_sessions_per_hour of the attacked hub
KNOWN = "wang_fang"
UNKNOWN_ID = "410225199001010012"  # a valid check character; nobody in the demo
PERSON_ROUTES = (
    "/query/identify",
    "/query/contributions",
    "/query/pension",
    "/query/medical",
    "/query/subsidies",
    "/query/applications",
    "/documents",
    "/certificates/insurance",
)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AttackedHub]:
    workdir = tmp_path_factory.mktemp("person-sessions")
    with attacked_hub(workdir, extra=f"person_sessions_per_hour = {QUOTA}\n") as running:
        yield running


@pytest.fixture
def c(hub: AttackedHub) -> Iterator[httpx.Client]:
    with hub.client() as client:
        yield client


def personal_data(key: str) -> list[str]:
    """What must never reach a terminal that has no session for ``key``."""
    citizen = CITIZENS[key]
    return [
        citizen["name"],
        citizen["id_number"],
        citizen["name"][0] + "*",  # even masked: a masked name says the person exists
        citizen["place"]["village"],
        citizen["phone"],
    ]


def test_a_typed_number_gets_what_an_unknown_one_gets(hub: AttackedHub, c: httpx.Client) -> None:
    attacker = hub.signing_terminal(c, "attack-typed-number")
    known_id = CITIZENS[KNOWN]["id_number"]
    for route in PERSON_ROUTES:
        known = c.post(S + route, json={"id_number": known_id}, headers=attacker.auth)
        unknown = c.post(S + route, json={"id_number": UNKNOWN_ID}, headers=attacker.auth)
        assert known.status_code == unknown.status_code == 422, route
        assert known.json() == unknown.json(), route
        for value in personal_data(KNOWN):
            assert value not in known.text, (route, value)
    # With "evidence" made of what anyone can know (the number, a made-up photo digest,
    # plausible dates): the one refusal, whoever the number belongs to.
    guessed = {**evidence_of(KNOWN), "photo_sha256": "0" * 64}
    nobody = {**guessed, "id_number": UNKNOWN_ID}
    known_reply, unknown_reply = attacker.open(c, guessed), attacker.open(c, nobody)
    assert known_reply.status_code == unknown_reply.status_code == 403
    assert (
        known_reply.json() == unknown_reply.json() == {"detail": "未能核验您的证件，请到窗口咨询"}
    )
    for value in personal_data(KNOWN):
        assert value not in known_reply.text
    # A social-security card number alone (a wrong issue date) is no better.
    ss_guess = {**evidence_of(KNOWN, "sscard"), "issued_on": "2001-01-01"}
    ss_nobody = {**ss_guess, "card_number": "H99999999"}
    assert attacker.open(c, ss_guess).json() == attacker.open(c, ss_nobody).json()


def test_the_card_s_own_evidence_opens_a_session_and_only_that(
    hub: AttackedHub, c: httpx.Client
) -> None:
    kiosk = hub.signing_terminal(c, "honest-kiosk")
    opened = kiosk.open(c, evidence_of(KNOWN))
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert body["person"]["name"] == CITIZENS[KNOWN]["name"]
    records = c.post(
        f"{S}/query/contributions",
        json={"person_session": body["person_session"]},
        headers=kiosk.auth,
    )
    assert records.status_code == 200 and records.json()["records"]
    # Each part of the card's evidence counts: a wrong validity or issuer opens nothing.
    for wrong in ({"valid_from": "2016-01-01"}, {"authority": "开封市公安局"}):
        assert kiosk.open(c, {**evidence_of(KNOWN), **wrong}).status_code == 403


def test_forged_unsigned_stale_and_replayed_evidence_is_refused(
    hub: AttackedHub, c: httpx.Client
) -> None:
    kiosk = hub.signing_terminal(c, "kiosk-signatures")
    evidence = {"evidence": evidence_of(KNOWN)}
    refused = {"detail": "终端签名核验未通过，请联系工作人员"}
    unsigned = c.post(PERSON_SESSIONS_URL, json=evidence, headers=kiosk.auth)
    assert unsigned.status_code == 403 and unsigned.json() == refused
    other_key = Ed25519PrivateKey.generate()
    forged, _, _ = kiosk.signed(c, PERSON_SESSIONS_URL, evidence, key=other_key)
    assert forged.status_code == 403 and forged.json() == refused
    stale, _, _ = kiosk.signed(c, PERSON_SESSIONS_URL, evidence, timestamp=int(time.time()) - 600)
    assert stale.status_code == 403 and stale.json() == refused
    first, headers, raw = kiosk.signed(c, PERSON_SESSIONS_URL, evidence)
    assert first.status_code == 201, first.text
    replayed = c.post(PERSON_SESSIONS_URL, content=raw, headers=headers)
    assert replayed.status_code == 403 and replayed.json() == refused
    # The signature covers the body: the same headers over another card's evidence fail.
    other = json.dumps({"evidence": evidence_of("zhao_lei")}, ensure_ascii=False).encode()
    swapped = {**headers, "X-Huimin-Nonce": "a-fresh-nonce-0123456789"}
    assert c.post(PERSON_SESSIONS_URL, content=other, headers=swapped).json() == refused
    # Another terminal's credential with this terminal's signature: refused too.
    thief = hub.signing_terminal(c, "kiosk-thief")
    stolen = {**headers, **thief.auth, "X-Huimin-Nonce": "another-nonce-0123456789"}
    assert c.post(PERSON_SESSIONS_URL, content=raw, headers=stolen).json() == refused


def test_a_handle_from_another_terminal_is_refused(hub: AttackedHub, c: httpx.Client) -> None:
    a = hub.signing_terminal(c, "terminal-a")
    b = hub.signing_terminal(c, "terminal-b")
    handle = a.session(c, evidence_of(KNOWN))
    made_up = "x" * 43
    for route in PERSON_ROUTES:
        stolen = c.post(S + route, json={"person_session": handle}, headers=b.auth)
        invented = c.post(S + route, json={"person_session": made_up}, headers=b.auth)
        assert stolen.status_code == invented.status_code == 403, route
        assert stolen.json() == invented.json(), route
        for value in personal_data(KNOWN):
            assert value not in stolen.text
    # Closing it from B does nothing; A still has it, until A closes it.
    c.post(f"{S}/person-sessions/close", json={"person_session": handle}, headers=b.auth)
    mine = c.post(f"{S}/query/identify", json={"person_session": handle}, headers=a.auth)
    assert mine.status_code == 200
    c.post(f"{S}/person-sessions/close", json={"person_session": handle}, headers=a.auth)
    closed = c.post(f"{S}/query/identify", json={"person_session": handle}, headers=a.auth)
    assert closed.status_code == 403
    # Only the handle's digest is stored.
    engine = create_engine(hub.database_url)
    with engine.connect() as conn:
        stored = conn.execute(select(PersonSessionRow.handle_hash)).scalars().all()
    engine.dispose()
    assert handle not in stored and all(h is None or len(h) == 64 for h in stored)


def test_an_expired_session_is_refused(tmp_path: Path) -> None:
    """The short limit, on the hub's own clock (a manual one: no waiting)."""
    clock = ManualClock(START)
    app = build_services_app(
        f"sqlite:///{tmp_path / 'hub.db'}", clock, SandboxPaymentProvider(clock)
    )
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {TERMINAL_TOKEN}"
        opened = open_session(client, KNOWN)
        handle = opened["person_session"]
        assert opened["expires_in_s"] == 15 * 60
        clock.advance(15 * 60 - 1)
        assert client.post(f"{S}/query/medical", json={"person_session": handle}).status_code == 200
        clock.advance(1)
        expired = client.post(f"{S}/query/medical", json={"person_session": handle})
        assert expired.status_code == 403
        assert expired.json() == {"detail": "请重新刷身份证或社保卡后再办理"}


def test_a_terminal_over_its_hourly_quota_is_refused_and_the_console_alerted(
    hub: AttackedHub, c: httpx.Client
) -> None:
    greedy = hub.signing_terminal(c, "greedy-terminal")
    honest = hub.signing_terminal(c, "neighbour-terminal")
    wrong = {**evidence_of(KNOWN), "photo_sha256": "1" * 64}
    # Refused attempts count: guessing cannot go on for ever.
    for _ in range(QUOTA - 1):
        assert greedy.open(c, wrong).status_code == 403
    assert greedy.open(c, evidence_of(KNOWN)).status_code == 201  # the last one allowed
    over = greedy.open(c, evidence_of(KNOWN))
    assert over.status_code == 429
    assert over.json() == {"detail": "本终端读卡次数过多，暂停办理，请联系工作人员"}
    assert greedy.open(c, evidence_of("zhao_lei")).status_code == 429
    assert honest.open(c, evidence_of(KNOWN)).status_code == 201  # per terminal
    engine = create_engine(hub.database_url)
    with engine.connect() as conn:
        alerts = conn.execute(
            select(Alert.terminal_id, Alert.kind, Alert.resolved_at).where(
                Alert.kind == "person_session_quota"
            )
        ).all()
        audited = conn.execute(
            select(AuditEntry.target).where(AuditEntry.action == "person_session_quota")
        ).all()
    engine.dispose()
    assert [(a.terminal_id, a.resolved_at) for a in alerts] == [(greedy.id, None)]  # raised once
    assert [a.target for a in audited] == [f"terminal:{greedy.id}"]
    # The operators see it on the fleet console's alerts.
    hub.operator(c)
    page = c.get("/console/alerts")
    assert page.status_code == 200 and "读卡核验次数超限" in page.text


def _order(c: httpx.Client, terminal: SigningTerminal, key: str) -> dict[str, Any]:
    handle = terminal.session(c, evidence_of("zhang_xiulan"))
    reply = c.post(
        f"{S}/payments/orders",
        json={
            "idempotency_key": key,
            "item": "resident_medical_2027",
            "person_session": handle,
            "payer_id_numbers": [CITIZENS["zhang_xiulan"]["id_number"]],
            "method": "native",
        },
        headers=terminal.auth,
    )
    assert reply.status_code == 201, reply.text
    order: dict[str, Any] = reply.json()
    return order


def test_another_terminal_cannot_read_cancel_or_pay_an_order(
    hub: AttackedHub, c: httpx.Client
) -> None:
    a = hub.signing_terminal(c, "order-owner")
    b = hub.signing_terminal(c, "order-thief")
    order = _order(c, a, "cross-terminal-order-0001")
    no = order["order_no"]
    none = "HM20261122000000deadbeef"
    for method, path, body in (
        ("GET", f"{S}/payments/orders/{{}}", None),
        ("POST", f"{S}/payments/orders/{{}}/cancel", {}),
        ("POST", f"{S}/payments/sandbox/pay/{{}}", {}),
    ):
        theirs = c.request(method, path.format(no), json=body, headers=b.auth)
        missing = c.request(method, path.format(none), json=body, headers=b.auth)
        assert theirs.status_code == missing.status_code == 404, path
        assert theirs.json() == missing.json()
    lookup = c.post(
        f"{S}/payments/orders/lookup",
        json={"idempotency_key": "cross-terminal-order-0001"},
        headers=b.auth,
    )
    assert lookup.status_code == 404
    # The order is untouched: still waiting for A's customer, who pays.
    mine = c.get(f"{S}/payments/orders/{no}", headers=a.auth)
    assert mine.status_code == 200 and mine.json()["status"] == "PAYING"
    paid = c.post(f"{S}/payments/sandbox/pay/{no}", headers=a.auth)
    assert paid.status_code == 200
    assert c.get(f"{S}/payments/orders/{no}", headers=a.auth).json()["status"] == "PAID"


def test_family_numbers_only_inside_a_session_and_only_masked(
    hub: AttackedHub, c: httpx.Client
) -> None:
    kiosk = hub.signing_terminal(c, "family-payments")
    family = [CITIZENS["liu_guiying"]["id_number"]]
    outside = c.post(
        f"{S}/payments/quote",
        json={"person_session": "y" * 43, "family_id_numbers": family},
        headers=kiosk.auth,
    )
    no_handle = c.post(
        f"{S}/payments/quote", json={"family_id_numbers": family}, headers=kiosk.auth
    )
    assert outside.status_code == 403 and no_handle.status_code == 422
    for value in personal_data("liu_guiying"):
        assert value not in outside.text and value not in no_handle.text
    handle = kiosk.session(c, evidence_of("zhao_lei"))
    inside = c.post(
        f"{S}/payments/quote",
        json={"person_session": handle, "family_id_numbers": family},
        headers=kiosk.auth,
    )
    assert inside.status_code == 200, inside.text
    me, relative = inside.json()["persons"]
    assert me["id_masked"] == "4102**********5018"
    assert relative["name_masked"] == "刘*英" and relative["amount_fen"] == 40000
    assert relative["id_masked"] == "" and relative["person_ref"] == ""
    assert CITIZENS["liu_guiying"]["name"] not in inside.text

"""Fixtures for the citizen-services tests.

The services app is built the way ``hub.services.setup`` builds it, on a
fresh SQLite file whose tables come from ``Base.metadata.create_all`` (the
Alembic migration is generated at integration), with a manual clock and a
sandbox payment provider the tests steer. Every route needs a terminal
credential, as in the hub: the app has one enrolled terminal with a signing
key, and :func:`session` opens a person session for a demo citizen the way
the kiosk does (signed card evidence), so person-scoped requests carry its
handle, never an ID number.
"""

from __future__ import annotations

import base64
import json
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, update

from hub.crypto import DataCipher, new_key_line, parse_key_file
from hub.db import Base, make_engine, make_sessionmaker
from hub.documents.settings import DocumentSettings
from hub.fleet.auth import TerminalIdentity, TokenCache, current_terminal, hash_token
from hub.fleet.models import Terminal
from hub.services import api
from hub.services.clock import ManualClock
from hub.services.context import ServiceContext
from hub.services.payments.sandbox import SandboxPaymentProvider
from hub.settings import HubSettings
from protocol.person_session import (
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    demo_photo,
    photo_digest,
    signed_message,
)

REPO = Path(__file__).resolve().parents[3]
CITIZENS: dict[str, dict[str, Any]] = {
    c["key"]: c
    for c in json.loads((REPO / "config/demo/citizens.json").read_text(encoding="utf-8"))[
        "citizens"
    ]
}
# 2026-11-22 10:00 China Standard Time: inside the 2027 medical-insurance collection period.
START = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
S = "/api/v1/services"
# The asking terminal is the enrolled test terminal (its bearer token), standing at
# ``build_services_app``'s service point; this header makes it another terminal.
TEST_TERMINAL_HEADER = "X-Test-Terminal"
TEST_SERVICE_POINT = "lk-zwfw"


def as_terminal(number: int) -> dict[str, str]:
    """Headers that make a request come from test terminal ``number``."""
    return {TEST_TERMINAL_HEADER: str(number)}


TERMINAL_TOKEN = "services-test-terminal-token"


@dataclass
class FleetStub:
    """What the service routes use of the fleet: the terminal token cache, and
    the alert webhook (its payloads are kept here)."""

    tokens: TokenCache
    webhooks: list[dict[str, Any]] = field(default_factory=list)

    def send_webhooks(self, payloads: list[dict[str, Any]]) -> None:
        self.webhooks.extend(payloads)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def enrol_terminal(app: FastAPI, name: str, token: str) -> tuple[int, Ed25519PrivateKey]:
    """Put an enrolled terminal with its own signing key into ``app``'s database."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    with app.state.engine.begin() as conn:
        known = conn.execute(
            select(Terminal.id).where(Terminal.token_hash == hash_token(token))
        ).scalar()
        if known is not None:  # the same database again (a restarted hub): a new key
            conn.execute(
                update(Terminal).where(Terminal.id == known).values(signing_key=_b64(public))
            )
            return known, key
        terminal_id = conn.execute(
            insert(Terminal)
            .values(
                name=name,
                county="兰考县",
                town="东坝头镇",
                village="张庄村",
                token_hash=hash_token(token),
                hardware_json="{}",
                enrolled_at=datetime(2026, 11, 1),
                signing_key=_b64(public),
            )
            .returning(Terminal.id)
        ).scalar_one()
    return terminal_id, key


def evidence_of(key: str, card: str = "idcard") -> dict[str, Any]:
    """The evidence of demo citizen ``key``'s ID card (or social-security card), as
    the kiosk reads it."""
    c = CITIZENS[key]
    if card == "sscard":
        return {
            "kind": "sscard",
            "card_number": c["ss_card_number"],
            "issued_on": _iso(c["ss_card_issued"]),
        }
    valid_to = None if c["valid_to"] == "长期" else _iso(c["valid_to"])
    return {
        "kind": "idcard",
        "id_number": c["id_number"],
        "photo_sha256": photo_digest(demo_photo(key)),
        "valid_from": _iso(c["valid_from"]),
        "valid_to": valid_to,
        "authority": c["authority"],
    }


def _iso(yyyymmdd: str) -> str:
    return f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:]}"


def signed_post(
    client: TestClient,
    path: str,
    body: dict[str, Any],
    key: Ed25519PrivateKey,
    *,
    timestamp: int,
    nonce: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """POST ``body`` signed as a terminal signs it (protocol.person_session)."""
    raw = json.dumps(body, ensure_ascii=False).encode()
    nonce = nonce or secrets.token_urlsafe(18)
    message = signed_message("POST", path, str(timestamp), nonce, raw)
    signed = {
        "Content-Type": "application/json",
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: _b64(key.sign(message)),
        **(headers or {}),
    }
    return client.post(path, content=raw, headers=signed)


def public_key_of(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _b64(raw)


def open_session(
    client: TestClient,
    key: str,
    *,
    card: str = "idcard",
    signing_key: Ed25519PrivateKey | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """``POST /person-sessions`` for demo citizen ``key``: the reply (handle and person)."""
    app = client.app
    clock = app.state.services.clock  # type: ignore[attr-defined]
    r = signed_post(
        client,
        f"{S}/person-sessions",
        {"evidence": evidence_of(key, card)},
        signing_key or app.state.test_signing_key,  # type: ignore[attr-defined]
        timestamp=int(clock.now().timestamp()),
        headers=headers,
    )
    assert r.status_code == 201, r.text
    opened: dict[str, Any] = r.json()
    return opened


def session(
    client: TestClient,
    key: str,
    *,
    signing_key: Ed25519PrivateKey | None = None,
    headers: dict[str, str] | None = None,
) -> str:
    """A new person session for demo citizen ``key``: its handle. On the services
    test app's terminal by default; ``signing_key`` and ``headers`` (the bearer
    token) for a terminal enrolled otherwise."""
    opened = open_session(client, key, signing_key=signing_key, headers=headers)
    handle: str = opened["person_session"]
    return handle


def build_services_app(
    database_url: str,
    clock: ManualClock,
    provider: SandboxPaymentProvider,
    *,
    demo_data: bool = True,
    catalogue_path: str = "config/catalogue.json",
    sweep_interval_s: float | None = None,
    payment_provider: str = "sandbox",
    public_url: str | None = None,
    service_point: str | None = TEST_SERVICE_POINT,
    ticket_limit_per_minute: int = 6,
    documents: DocumentSettings | None = None,
    person_sessions_per_hour: int = 10_000,
) -> FastAPI:
    """A FastAPI app carrying only the services router, as hub.services.setup mounts it.

    The background payment sweep is off unless asked for: tests step orders
    themselves so each step happens at a known clock time.
    """
    settings = HubSettings(
        database_url=database_url,
        demo_data=demo_data,
        catalogue_path=catalogue_path,
        payment_provider=payment_provider,
        public_url=public_url,
        ticket_limit_per_minute=ticket_limit_per_minute,
        **({"documents": documents} if documents is not None else {}),
        person_sessions_per_hour=person_sessions_per_hour,
    )
    app = FastAPI()

    async def test_terminal(request: Request) -> TerminalIdentity:
        # The bearer token is checked as the hub checks it; the terminal then
        # stands at this app's service point, and a test header may make it
        # another terminal (tickets and ratings are kept per terminal).
        real = await current_terminal(request)
        asking = replace(real, service_point=service_point)
        number = request.headers.get(TEST_TERMINAL_HEADER)
        if number is not None:
            asking = replace(asking, id=int(number), name=f"test-{number}")
        return asking

    app.dependency_overrides[current_terminal] = test_terminal
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    app.state.settings = settings
    app.state.engine = engine
    # A data key of the test's own (hub/crypto.py): applications seal contact data.
    app.state.sessionmaker = make_sessionmaker(engine, DataCipher(parse_key_file(new_key_line())))
    app.state.fleet = FleetStub(TokenCache(engine))
    guard = [Depends(current_terminal)]  # as hub.app mounts the service API
    app.include_router(api.router, dependencies=guard)
    api.on_startup(
        app,
        settings,
        clock=clock,
        payment_provider=provider,
        sweep_interval_s=sweep_interval_s,
        dependencies=guard,
    )
    app.state.test_terminal_id, app.state.test_signing_key = enrol_terminal(
        app, "services-test", TERMINAL_TOKEN
    )
    return app


@pytest.fixture
def svc_clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sandbox(svc_clock: ManualClock) -> SandboxPaymentProvider:
    return SandboxPaymentProvider(svc_clock, rng=random.Random(7))


@pytest.fixture
def svc_db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hub.db'}"


@pytest.fixture
def svc_app(svc_db_url: str, svc_clock: ManualClock, sandbox: SandboxPaymentProvider) -> FastAPI:
    return build_services_app(svc_db_url, svc_clock, sandbox)


@pytest.fixture
def svc_ctx(svc_app: FastAPI) -> ServiceContext:
    ctx: ServiceContext = svc_app.state.services
    return ctx


@pytest.fixture
def svc_client(svc_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(svc_app) as client:
        client.headers["Authorization"] = f"Bearer {TERMINAL_TOKEN}"
        yield client


def id_of(key: str) -> str:
    return str(CITIZENS[key]["id_number"])

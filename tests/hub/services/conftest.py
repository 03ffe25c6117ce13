"""Fixtures for the citizen-services tests.

The services app is built the way ``hub.services.setup`` builds it, on a
fresh SQLite file whose tables come from ``Base.metadata.create_all`` (the
Alembic migration is generated at integration), with a manual clock and a
sandbox payment provider the tests steer.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from hub.crypto import DataCipher, new_key_line, parse_key_file
from hub.db import Base, make_engine, make_sessionmaker
from hub.documents.settings import DocumentSettings
from hub.fleet.auth import TerminalIdentity, current_terminal
from hub.services import api
from hub.services.clock import ManualClock
from hub.services.context import ServiceContext
from hub.services.payments.sandbox import SandboxPaymentProvider
from hub.settings import HubSettings

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
# Without the fleet (no enrolment here), the asking terminal is this test header's
# number (1 when absent), standing at ``build_services_app``'s service point.
TEST_TERMINAL_HEADER = "X-Test-Terminal"
TEST_SERVICE_POINT = "lk-zwfw"


def as_terminal(number: int) -> dict[str, str]:
    """Headers that make a request come from test terminal ``number``."""
    return {TEST_TERMINAL_HEADER: str(number)}


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
    )
    app = FastAPI()

    def test_terminal(request: Request) -> TerminalIdentity:
        number = int(request.headers.get(TEST_TERMINAL_HEADER, "1"))
        return TerminalIdentity(number, f"test-{number}", "兰考县", "", "", None, service_point)

    app.dependency_overrides[current_terminal] = test_terminal
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    app.state.settings = settings
    app.state.engine = engine
    # A data key of the test's own (hub/crypto.py): applications seal contact data.
    app.state.sessionmaker = make_sessionmaker(engine, DataCipher(parse_key_file(new_key_line())))
    app.include_router(api.router)
    api.on_startup(
        app, settings, clock=clock, payment_provider=provider, sweep_interval_s=sweep_interval_s
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
        yield client


def id_of(key: str) -> str:
    return str(CITIZENS[key]["id_number"])

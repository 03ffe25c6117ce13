"""Fixtures for the back office: the services app of tests/hub/services (a
fresh SQLite file, a manual clock) and helpers to apply at the terminal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.services.clock import ManualClock
from hub.services.context import ServiceContext
from hub.services.payments.sandbox import SandboxPaymentProvider
from tests.hub.services.conftest import START, TERMINAL_TOKEN, S, build_services_app, session


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def svc_app(tmp_path: Path, clock: ManualClock) -> FastAPI:
    return build_services_app(
        f"sqlite:///{tmp_path / 'services.db'}", clock, SandboxPaymentProvider(clock)
    )


@pytest.fixture
def ctx(svc_app: FastAPI) -> ServiceContext:
    services: ServiceContext = svc_app.state.services
    return services


@pytest.fixture
def svc_client(svc_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(svc_app) as c:
        c.headers["Authorization"] = f"Bearer {TERMINAL_TOKEN}"  # the enrolled test terminal
        yield c


def apply(client: TestClient, key: str = "zhao_lei", attempt: int = 1, **delivery: Any) -> str:
    """Submit 参保登记 at the 'terminal' for demo citizen ``key``, inside a person
    session opened with the card's evidence; its 受理编号."""
    reply = client.post(
        f"{S}/applications",
        json={
            "item_id": "rsi_resident_pension_enrol",
            "person_session": session(client, key),
            "form": {"phone": "18637812345", "grade_yuan": 300},
            "delivery": delivery or {"method": "counter"},
            "consent": True,
            "idempotency_key": f"bo-{key}-{len(delivery)}-{attempt:04d}",
        },
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["acceptance_no"])

"""Schemathesis against the hub's terminal API (``/api/v1/terminal/*``), bounded.

The terminal routes read their bodies themselves (a size cap before parsing,
hub/fleet/terminal_api.py), so FastAPI's schema has no request bodies; the
test adds them from the same pydantic models the routes validate with
(``hub.fleet.ingest``, ``hub.fleet.health``), plus the heartbeat route that is
kept out of the schema. Every generated request, with a valid credential:
no 5xx, and a body valid by the model is never refused as invalid (422).

What tests/hub/fleet/test_terminal_api.py already covers is not repeated
(oversized and malformed bodies, replayed events and journal keys, revoked
and unknown credentials); the replay check here is the one it lacks: the same
generated event batch sent twice is stored once.
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from pydantic import BaseModel, ValidationError
from schemathesis.checks import not_a_server_error

from hub.fleet.ingest import EnrolIn
from hub.limits import json_has_nul
from hub.settings import HubSettings
from protocol.commands import CommandAck
from protocol.events import EventBatch, JournalBatch
from protocol.heartbeat import Heartbeat
from tests.hub.conftest import REPO, build_app

PREFIX = "/api/v1/terminal"
BODIES: dict[tuple[str, str], type[BaseModel]] = {
    (f"{PREFIX}/enrol", "post"): EnrolIn,
    (f"{PREFIX}/events", "post"): EventBatch,
    (f"{PREFIX}/journal", "post"): JournalBatch,
    (f"{PREFIX}/commands/{{command_id}}/ack", "post"): CommandAck,
    (f"{PREFIX}/heartbeat", "post"): Heartbeat,
}

_TMP = tempfile.TemporaryDirectory(prefix="huimin-terminal-fuzz-")
APP: FastAPI = build_app(
    HubSettings(
        database_url=f"sqlite:///{Path(_TMP.name) / 'hub.db'}",
        secret_key="terminal-fuzz-secret-0123456789",
        catalogue_path=str(REPO / "config" / "catalogue.json"),
    )
)
with TestClient(APP) as _client:
    _enrolled = _client.post(
        f"{PREFIX}/enrol",
        json={"code": "DEMO-ENROL", "name": "fuzz", "place": {"county": "兰考县"}},
    ).json()
    RAW: dict[str, Any] = _client.get("/openapi.json").json()
AUTH = {"Authorization": f"Bearer {_enrolled['token']}"}


def with_bodies(raw: dict[str, Any]) -> dict[str, Any]:
    """The terminal part of the schema, with each route's request body added."""
    doc = copy.deepcopy(raw)
    doc["paths"] = {p: v for p, v in doc["paths"].items() if p.startswith(PREFIX)}
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    for (path, method), model in BODIES.items():
        body = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(body.pop("$defs", {}))
        operation = (
            doc["paths"]
            .setdefault(path, {})
            .setdefault(method, {"responses": {"200": {"description": "ok"}}})
        )
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    return doc


schema = schemathesis.openapi.from_dict(with_bodies(RAW))
schema.app = APP
schema.location = "/openapi.json"


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_terminal_api_never_fails_on_generated_requests(case: schemathesis.Case) -> None:
    if case.path == f"{PREFIX}/commands" and case.method.upper() == "GET":
        case.query = {"wait": 0}  # a long-poll would only make the test slow
    response = case.call_and_validate(headers=AUTH, checks=[not_a_server_error])
    model = BODIES.get((case.path, case.method.lower()))
    if model is not None and _valid(model, case.body) and response.status_code == 422:
        # Only a bad path or query parameter may explain it, never the valid body.
        locs = [e.get("loc", [""]) for e in response.json().get("detail", [])]
        assert locs and all(loc and loc[0] in ("path", "query") for loc in locs), (
            case.path,
            response.text[:300],
        )


def _valid(model: type[BaseModel], body: Any) -> bool:
    """Valid for the hub: the model accepts it and it holds no NUL character (refused
    for every route by hub/limits.py, as PostgreSQL cannot store one)."""
    try:
        model.model_validate(body)
    except ValidationError:
        return False
    return not json_has_nul(json.dumps(body).encode())


def test_same_event_batch_twice_is_stored_once() -> None:
    batch = {
        "events": [
            {
                "key": f"fuzz-{i}",
                "kind": "session_summary",
                "at": "2026-11-22T03:00:00Z",
                "data": {},
            }
            for i in range(5)
        ]
    }
    with TestClient(APP) as client:
        first = client.post(f"{PREFIX}/events", json=batch, headers=AUTH)
        again = client.post(f"{PREFIX}/events", json=batch, headers=AUTH)
    assert first.status_code == again.status_code == 200
    assert first.json()["accepted"] == again.json()["accepted"] == [f"fuzz-{i}" for i in range(5)]
    from sqlalchemy import text

    with APP.state.engine.connect() as conn:
        count = conn.execute(
            text("SELECT COUNT(*) FROM fleet_events WHERE key LIKE 'fuzz-%'")
        ).scalar_one()
    assert count == 5

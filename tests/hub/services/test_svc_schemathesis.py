"""Property-based API tests: schemathesis generates requests from the services'
own OpenAPI schema; no request may produce a 500, and every response must
match the documented status codes, content types and schemas.

Bounded: 30 examples per operation, one shared app (a temp SQLite file).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hub.services.clock import ManualClock
from hub.services.payments.sandbox import SandboxPaymentProvider
from tests.hub.services.conftest import START, TERMINAL_TOKEN, build_services_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# Built at import: schemathesis generates the test cases from the live schema.
# (Its lazy fixture loader does not work with pytest 9.) The temporary
# directory is removed when the interpreter exits.
_TMP = tempfile.TemporaryDirectory(prefix="huimin-svc-fuzz-")
_CLOCK = ManualClock(START)
APP: FastAPI = build_services_app(
    f"sqlite:///{Path(_TMP.name) / 'hub.db'}", _CLOCK, SandboxPaymentProvider(_CLOCK)
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_server_errors_and_responses_match_the_schema(case: schemathesis.Case) -> None:
    # As an enrolled terminal: every service route wants the terminal credential.
    case.call_and_validate(checks=CHECKS, headers={"Authorization": f"Bearer {TERMINAL_TOKEN}"})

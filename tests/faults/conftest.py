"""Fixtures for the fault tests: a fault hub (tests/faults/fault_hub.py) with
generated citizens, enrolled once per module; and the e2e journeys' ``hub``
(``python -m hub``) and ``make_kiosk`` (the real app with simulated devices)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from drivers.sim.demo_cards import CITIZENS_JSON
from tests.e2e.conftest import hub, make_kiosk  # noqa: F401 - the e2e journeys' fixtures
from tests.faults.hubproc import FaultHub, citizen, start_fault_hub

CITIZENS = 40


@pytest.fixture(scope="module")
def fault_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultHub]:
    # The demo citizens too: the simulated card reader carries their cards.
    demo = json.loads(CITIZENS_JSON.read_text(encoding="utf-8"))["citizens"]
    process = start_fault_hub(
        tmp_path_factory.mktemp("fault-hub"), [*demo, *(citizen(i) for i in range(CITIZENS))]
    )
    process.enrol("故障测试终端")
    try:
        yield process
    finally:
        process.stop()

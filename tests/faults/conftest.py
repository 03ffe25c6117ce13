"""Fixtures for the fault tests: a fault hub (tests/faults/fault_hub.py) with
generated citizens, enrolled once per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.hubproc import FaultHub, citizen, start_fault_hub

CITIZENS = 40


@pytest.fixture(scope="module")
def fault_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultHub]:
    process = start_fault_hub(
        tmp_path_factory.mktemp("fault-hub"), [citizen(i) for i in range(CITIZENS)]
    )
    process.enrol("故障测试终端")
    try:
        yield process
    finally:
        process.stop()

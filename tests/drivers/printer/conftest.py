"""Fixtures for the printer tests: a running VirtualPrinter and a typical receipt."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drivers.printer import Receipt
from drivers.sim import sample_receipts
from drivers.sim.printer import VirtualPrinter


@pytest.fixture
def virtual_printer() -> Iterator[VirtualPrinter]:
    printer = VirtualPrinter()
    printer.start()
    try:
        yield printer
    finally:
        printer.stop()


@pytest.fixture
def typical_receipt() -> Receipt:
    return sample_receipts.typical_receipt()

"""One headless kiosk for the accessibility tests (tools.headless.Harness): the real
app, screens, fonts and voice guide; fake clock, devices and recorder; the real
hub in-process. Each test gets a fresh app (and fresh hub data)."""

from __future__ import annotations

import os
from collections.abc import Iterator

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pytest  # after the SDL settings above

from tools.headless import Harness


@pytest.fixture(scope="session")
def kiosk_harness() -> Iterator[Harness]:
    h = Harness.create()
    yield h
    h.close()


@pytest.fixture
def h(kiosk_harness: Harness) -> Iterator[Harness]:
    """A fresh kiosk showing the attract screen, with the config reset to the demo one."""
    original = kiosk_harness.config
    kiosk_harness.new_app()
    kiosk_harness.settle()
    yield kiosk_harness
    kiosk_harness.config = original


def said_in_order(said: list[str], expected: list[str]) -> list[str]:
    """The items of ``expected`` not found, in order, as substrings of ``said``."""
    missing: list[str] = []
    i = 0
    for want in expected:
        j = i
        while j < len(said) and want not in said[j]:
            j += 1
        if j == len(said):
            missing.append(want)
        else:
            i = j + 1
    return missing

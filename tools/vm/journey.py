"""A person's journey, planned on the host, replayed on the terminal in the VM.

Screens number their options ("缴费，请按3"), and the numbers follow what the
screen offers. The VM's terminal cannot be asked which number an option has,
so the journey is walked first on the headless kiosk (the same screens, the
real hub in-process with the same demo data, the VM's configuration), and
each named choice becomes the digit a person would press there. A renamed or
reordered option then changes the plan, not the test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pygame

from kiosk.config import KioskConfig
from kiosk.session import Identity

# QEMU qcode names of the keys a plan presses.
QCODES = {str(d): str(d) for d in range(10)} | {"enter": "ret", "escape": "esc", "home": "home"}


@dataclass(frozen=True)
class Step:
    """One action: ``tap`` the screen's centre, press ``key`` (a qcode), or put the ``card`` on."""

    action: str
    value: str = ""
    screen: str = ""
    """The screen it leads to on the headless kiosk (for messages)."""


def plan(
    config: KioskConfig, size: tuple[int, int], identity: Identity, script: list[str]
) -> list[Step]:
    """``script``: ``"tap"``, ``"card"`` or an option name to choose; returns the steps.

    Raises AssertionError naming the screen when an option is not offered.
    """
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    from tools.headless.harness import Harness
    from tools.headless.sample_hub import SampleHubClient

    harness = Harness(config, window=size, hub_client=SampleHubClient())
    steps: list[Step] = []
    try:
        for item in script:
            if item == "tap":
                harness.tap((size[0] // 2, size[1] // 2))
                steps.append(Step("tap", screen=harness.app.screen.name))
                continue
            if item == "card":
                harness.place_card(identity)
                steps.append(Step("card", screen=harness.app.screen.name))
                continue
            options = {o.name: key for key, o in harness.app.screen.numbered_options() if o.enabled}
            if item not in options:
                raise AssertionError(
                    f"no option {item!r} on {harness.app.screen.name}: {sorted(options)}"
                )
            key = options[item]
            harness.key(getattr(pygame, f"K_{key}"))
            harness.settle()
            steps.append(Step("key", QCODES[key], harness.app.screen.name))
    finally:
        harness.close()
    return steps

"""A screen's numbered choices and the keys that make them.

Every option has a number key (1…9, then 0) so the keypad reaches
everything the touch screen does; Return chooses the option marked
``confirm``. The input router also uses :data:`DIGIT_KEYS` to tell a
number with no option behind it (said aloud) from any other key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pygame

DIGIT_KEYS = {getattr(pygame, f"K_{d}"): str(d) for d in range(10)} | {
    getattr(pygame, f"K_KP{d}"): str(d) for d in range(10)
}
CONFIRM_KEYS = {pygame.K_RETURN, pygame.K_KP_ENTER}


@dataclass
class Option:
    """One numbered choice. ``label`` and ``reason`` are msgids."""

    label: str
    action: Callable[[], None]
    style: str = "primary"
    enabled: bool = True
    reason: str = ""  # why it is unavailable (shown and spoken)
    confirm: bool = False  # the Return key chooses it too
    name: str = ""  # stable id (tests, audit); defaults to the label

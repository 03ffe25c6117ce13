"""The screens a kiosk runs, handed to it by the entry point.

``kiosk/`` never imports ``screens/``: ``main.py`` (and the headless
harness) pass a :class:`ScreenSet` built by ``screens`` to
:class:`kiosk.runtime.Terminal` / :class:`kiosk.app.App`. The app opens
screens by name from it and needs three names to exist: the attract
screen, home and out of service (:data:`REQUIRED`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kiosk.i18n import Translator
from kiosk.ui.screen import Screen

REQUIRED = ("attract", "home", "out_of_service")


@dataclass(frozen=True)
class ScreenSet:
    """``registry`` maps screen names to classes; ``fixed_prompts`` lists what they
    say the same way every time (synthesised once at start); ``prewarm`` names the
    screens whose whole speech (with options) is synthesised too (the first journey)."""

    registry: Mapping[str, type[Screen]]
    fixed_prompts: Callable[[Translator], list[str]]
    prewarm: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        missing = [name for name in (*REQUIRED, *self.prewarm) if name not in self.registry]
        if missing:
            raise ValueError(f"screen set lacks {', '.join(missing)}")

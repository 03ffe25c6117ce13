"""What the loop draws on, and what it knows of the frame on screen.

Every controller that changes something visible asks for a redraw here;
the loop draws only when one was asked for (an idle kiosk draws nothing,
bench/idle_cpu.py). The inactivity warning's button and the text runs of
the overlay are kept for input routing and the accessibility audit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pygame

from kiosk.ui.blocks import TextRun
from kiosk.ui.widgets import Button


@dataclass(eq=False)
class Display:
    surface: pygame.Surface
    dirty: bool = True  # something changed since the last flip
    frames: int = 0  # flips so far
    on_frame: Callable[[float], None] | None = None  # benchmarks: flip timestamps
    overlay_runs: list[TextRun] = field(default_factory=list)  # text drawn over the screen
    warning_button: Button | None = None  # 继续办理, while the inactivity warning is shown

    def request_redraw(self) -> None:
        self.dirty = True

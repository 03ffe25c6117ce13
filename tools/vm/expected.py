"""The pictures the terminal in the VM should show, drawn on the host by the same code.

Each reference comes with a mask of the pixels that matter (see
:mod:`tools.vm.pictures`): the attract screen without its rotating tip, the
greeting that says whose card was read, the whole set-up screen. The
kiosk's own screens are drawn by the headless harness (``tools/headless``)
with the configuration the VM's terminal was provisioned with, at the VM's
screen size, with the fonts of this machine (the image installs the same
Debian font package and the same pygame-ce wheel).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pygame
from PIL import Image, ImageChops

from kiosk.config import KioskConfig
from kiosk.i18n import Translator
from kiosk.session import Identity
from tools.vm.pictures import from_surface, stable_mask


@dataclass(frozen=True)
class Reference:
    """A picture and the mask of its pixels to compare."""

    image: Image.Image
    mask: Image.Image
    name: str


def _harness(config: KioskConfig, size: tuple[int, int]) -> Any:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    from tools.headless.harness import Harness

    return Harness(config, window=size)


def _frame(harness: Any) -> Image.Image:
    harness.app.display.request_redraw()
    harness.app.step()
    return from_surface(harness.surface)


def attract(config: KioskConfig, size: tuple[int, int]) -> Reference:
    """The attract screen; its rotating message is left out of the mask."""
    harness = _harness(config, size)
    try:
        frames = [_frame(harness)]
        for _ in range(2):  # two more messages of the rotation
            harness.advance(config.session.attract_rotation_s + 0.5)
            frames.append(_frame(harness))
    finally:
        harness.close()
    return Reference(frames[0], stable_mask(*frames), "attract")


def greeting(config: KioskConfig, size: tuple[int, int], identity: Identity) -> Reference:
    """The first screen after a card was read: only where it differs from the same
    screen started by a touch (the greeting with the masked name) is compared."""
    harness = _harness(config, size)
    try:
        width, height = size
        harness.tap((width // 2, height // 2))
        anonymous = _frame(harness)
        harness.key(pygame.K_ESCAPE)  # back to the attract screen: the session ends
        harness.place_card(identity)
        named = _frame(harness)
    finally:
        harness.close()
    diff = ImageChops.difference(anonymous, named).convert("L").point(lambda v: 255 if v else 0)
    return Reference(named, diff, "greeting")


def setup_screen(size: tuple[int, int], status: dict[str, Any]) -> Reference:
    """The set-up screen of a terminal that is not provisioned (compared whole)."""
    from kiosk.provisioning.screen import draw
    from kiosk.ui.text import TextRenderer
    from tools.headless.harness import fonts

    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pygame.display.init()
    if pygame.display.get_surface() is None:
        pygame.display.set_mode(size)
    surface = pygame.Surface(size)
    draw(surface, TextRenderer(fonts()), Translator("zh_CN"), status)
    image = from_surface(surface)
    return Reference(image, Image.new("L", size, 255), "setup")

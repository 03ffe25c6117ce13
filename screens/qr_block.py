"""A QR code drawn on screen (the merchant QR a phone scans to pay).

Rendered with the ``qrcode`` package into a pygame surface: black modules
on white with the four-module quiet zone the standard requires, scaled by
whole pixels so every module stays square and sharp for phone cameras.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pygame
import qrcode

from kiosk.theme import Theme
from kiosk.ui.blocks import Block, Row, RowContext
from kiosk.ui.text import TextRenderer

QUIET_ZONE = 4  # modules (ISO/IEC 18004)


def qr_surface(payload: str, max_px: int) -> pygame.Surface:
    """The QR for ``payload``: a square surface at most ``max_px`` wide (>= 1 px per module)."""
    code = qrcode.QRCode(border=QUIET_ZONE, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(payload)
    code.make(fit=True)
    matrix = code.get_matrix()
    n = len(matrix)
    scale = max(1, max_px // n)
    surf = pygame.Surface((n * scale, n * scale))
    surf.fill((255, 255, 255))
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                surf.fill((0, 0, 0), (x * scale, y * scale, scale, scale))
    return surf


@dataclass
class QrBlock(Block):
    """One row holding the QR; ``caption`` is what voice guidance says instead."""

    payload: str
    caption: str
    size_mm: float = 45.0
    _cache: dict[int, pygame.Surface] = field(default_factory=dict, repr=False)

    def rows(self, text: TextRenderer, theme: Theme, width: int) -> list[Row]:
        side = min(width, theme.px(self.size_mm))
        surf = self._cache.get(side)
        if surf is None:
            surf = self._cache[side] = qr_surface(self.payload, side)

        def draw(surface: pygame.Surface, rect: pygame.Rect, ctx: RowContext) -> None:
            surface.blit(surf, rect.topleft)

        return [Row(surf.get_height() + theme.gap_px, draw, spoken=self.caption)]

    def spoken(self) -> str:
        return self.caption

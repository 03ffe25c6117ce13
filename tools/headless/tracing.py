"""Text that remembers what it says: the audit knows a drawn run is Chinese or
Latin from the string blitted there, without guessing from pixels."""

from __future__ import annotations

from typing import Any

import pygame

from kiosk.theme import Color
from kiosk.ui.fonts import FontBook
from kiosk.ui.text import TextRenderer


class TracingTextRenderer(TextRenderer):
    """A :class:`TextRenderer` that remembers which string each rendered surface shows."""

    def __init__(self, fonts: FontBook) -> None:
        super().__init__(fonts)
        self.strings: dict[int, str] = {}

    def render(self, text: str, size: int, color: Color, bold: bool = False) -> pygame.Surface:
        surf = super().render(text, size, color, bold)
        self.strings[id(surf)] = text  # cached surfaces live on, so their ids stay theirs
        return surf

    def clear(self) -> None:
        super().clear()
        self.strings.clear()


class TextTracingSurface(pygame.Surface):
    """The screen the app draws on in the audit: it notes which string was blitted into
    which rectangle."""

    def __init__(self, size: tuple[int, int]) -> None:
        super().__init__(size)
        self.renderer: TracingTextRenderer | None = None
        self.texts: dict[tuple[int, int, int, int], str] = {}

    def blit(
        self, source: pygame.Surface, dest: Any = (0, 0), area: Any = None, special_flags: int = 0
    ) -> pygame.Rect:
        rect = super().blit(source, dest, area, special_flags)
        if self.renderer is not None and area is None:
            text = self.renderer.strings.get(id(source))
            if text is not None:
                w, h = source.get_size()
                self.texts[(rect.x, rect.y, w, h)] = text
        return rect

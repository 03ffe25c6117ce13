"""Rendered text, cached, and wrapped the way Chinese wraps.

Re-rendering all text every frame costs about 14 ms a frame; blitting cached
surfaces about 2.4 ms (specs/rendering.md). The cache is cleared when a
session ends so no rendered name or number outlives the person.
"""

from __future__ import annotations

from collections import OrderedDict

import pygame

from kiosk.theme import Color
from kiosk.ui.fonts import FontBook

_Key = tuple[str, int, Color, bool]


class TextRenderer:
    """Renders strings to surfaces through an LRU cache."""

    def __init__(self, fonts: FontBook, max_entries: int = 1500) -> None:
        self.fonts = fonts
        self._cache: OrderedDict[_Key, pygame.Surface] = OrderedDict()
        self._advance: dict[tuple[str, int, bool], int] = {}
        self.max_entries = max_entries

    def render(self, text: str, size: int, color: Color, bold: bool = False) -> pygame.Surface:
        key = (text, size, color, bold)
        surf = self._cache.get(key)
        if surf is not None:
            self._cache.move_to_end(key)
            return surf
        surf, _ = self.fonts.font(bold).render(text, fgcolor=color, size=size)
        if pygame.display.get_surface() is not None:
            # freetype renders RGBA; the display is BGRA: blitting unconverted
            # takes the slow per-pixel path, ~455 µs for a 48 px line against
            # ~14 µs converted (bench/busiest_screen.py: 65 blits a frame).
            surf = surf.convert_alpha()
        self._cache[key] = surf
        if len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)
        return surf

    def line_height(self, size: int, bold: bool = False) -> int:
        return int(self.fonts.font(bold).get_sized_height(size))

    def width(self, text: str, size: int, bold: bool = False) -> int:
        return sum(self._char_width(ch, size, bold) for ch in text)

    def _char_width(self, ch: str, size: int, bold: bool) -> int:
        key = (ch, size, bold)
        w = self._advance.get(key)
        if w is None:
            metrics = self.fonts.font(bold).get_metrics(ch, size=size)
            w = round(metrics[0][4]) if metrics and metrics[0] else size
            self._advance[key] = w
        return w

    def wrap(self, text: str, size: int, max_width: int, bold: bool = False) -> list[str]:
        """Break ``text`` into lines no wider than ``max_width``.

        Chinese may break between any two characters; Latin words and numbers
        stay whole where they fit; explicit newlines are kept.
        """
        lines: list[str] = []
        for paragraph in text.split("\n"):
            lines.extend(self._wrap_paragraph(paragraph, size, max_width, bold))
        return lines

    def _wrap_paragraph(self, text: str, size: int, max_width: int, bold: bool) -> list[str]:
        if not text:
            return [""]
        lines: list[str] = []
        current = ""
        width = 0
        for token in _tokens(text):
            tw = self.width(token, size, bold)
            if width + tw <= max_width or not current:
                if tw > max_width and len(token) > 1:
                    # A single token wider than the line: break it by characters.
                    for ch in token:
                        cw = self._char_width(ch, size, bold)
                        if width + cw > max_width and current:
                            lines.append(current)
                            current, width = "", 0
                        current += ch
                        width += cw
                    continue
                current += token
                width += tw
            else:
                lines.append(current.rstrip())
                start = token.lstrip()
                current, width = start, self.width(start, size, bold)
        if current:
            lines.append(current.rstrip())
        return lines

    def clear(self) -> None:
        """Forget every rendered surface (called when a session ends)."""
        self._cache.clear()

    def cached_texts(self) -> list[str]:
        return [key[0] for key in self._cache]


def _tokens(text: str) -> list[str]:
    """Latin words (with their trailing space) stay together; CJK splits per char."""
    tokens: list[str] = []
    word = ""
    for ch in text:
        if ch.isascii() and not ch.isspace():
            word += ch
            continue
        if word:
            tokens.append(word)
            word = ""
        if ch.isspace() and tokens:
            tokens[-1] += ch
        else:
            tokens.append(ch)
    if word:
        tokens.append(word)
    return tokens

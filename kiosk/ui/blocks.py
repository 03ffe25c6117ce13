"""Content blocks a screen shows above its options: paragraphs, key–value
lines, tables and notices.

Each block breaks into rows of known height so the screen can page long
content ("上一页 / 下一页") instead of shrinking text. Every drawn text run
is recorded with its colours so the accessibility audit can check size
and contrast from the real pixels.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pygame

from kiosk.i18n import N_
from kiosk.theme import Color, Theme
from kiosk.ui.text import TextRenderer

TextRun = tuple[pygame.Rect, Color, Color]


@dataclass
class RowContext:
    text: TextRenderer
    theme: Theme
    runs: list[TextRun]

    def blit_text(
        self,
        surface: pygame.Surface,
        content: str,
        pos: tuple[int, int],
        size: int,
        color: Color,
        bg: Color,
        bold: bool = False,
    ) -> pygame.Rect:
        surf = self.text.render(content, size, color, bold)
        rect = surf.get_rect(topleft=pos)
        surface.blit(surf, rect)
        if content.strip():
            self.runs.append((rect, color, bg))
        return rect


@dataclass
class Row:
    """One unbreakable line of content: a height and how to draw it."""

    height: int
    draw: Callable[[pygame.Surface, pygame.Rect, RowContext], None]
    header: Row | None = None  # repeated at the top of each page (table headers)
    spoken: str = ""  # what voice guidance reads for this row, page by page


class Block(ABC):
    @abstractmethod
    def rows(self, text: TextRenderer, theme: Theme, width: int) -> list[Row]:
        """Break the block into rows for a content area ``width`` pixels wide."""

    @abstractmethod
    def spoken(self) -> str:
        """What voice guidance reads for this block."""


@dataclass
class Paragraph(Block):
    text_value: str
    muted: bool = False
    bold: bool = False
    large: bool = False

    def rows(self, text: TextRenderer, theme: Theme, width: int) -> list[Row]:
        size = theme.title_px if self.large else theme.body_px
        line_h = theme.line_height(size)
        palette = theme.palette
        color = palette.text_muted if self.muted else palette.text

        def draw_line(line: str) -> Callable[[pygame.Surface, pygame.Rect, RowContext], None]:
            def draw(surface: pygame.Surface, rect: pygame.Rect, ctx: RowContext) -> None:
                ctx.blit_text(
                    surface, line, rect.topleft, size, color, palette.background, self.bold
                )

            return draw

        return [
            Row(line_h, draw_line(line), spoken=line)
            for line in text.wrap(self.text_value, size, width, self.bold)
        ]

    def spoken(self) -> str:
        return self.text_value


@dataclass
class KeyValues(Block):
    pairs: Sequence[tuple[str, str]]

    def rows(self, text: TextRenderer, theme: Theme, width: int) -> list[Row]:
        size = theme.body_px
        line_h = theme.line_height(size)
        palette = theme.palette
        key_w = min(
            width // 2, max((text.width(k, size) for k, _ in self.pairs), default=0) + theme.px(4)
        )
        out: list[Row] = []
        for key, value in self.pairs:
            lines = text.wrap(value, size, max(width - key_w, size))
            for i, line in enumerate(lines):

                def draw(
                    surface: pygame.Surface,
                    rect: pygame.Rect,
                    ctx: RowContext,
                    k: str = key if i == 0 else "",
                    v: str = line,
                ) -> None:
                    bg = palette.background
                    if k:
                        ctx.blit_text(surface, k, rect.topleft, size, palette.text_muted, bg)
                    ctx.blit_text(
                        surface, v, (rect.x + key_w, rect.y), size, palette.text, bg, True
                    )

                out.append(Row(line_h, draw, spoken=f"{key}，{value}" if i == 0 else ""))
        return out

    def spoken(self) -> str:
        return "；".join(f"{k}，{v}" for k, v in self.pairs)


@dataclass
class Table(Block):
    headers: Sequence[str]
    body: Sequence[Sequence[str]]
    weights: Sequence[float] | None = None  # relative column widths

    def _columns(self, width: int) -> list[int]:
        weights = list(self.weights or [1.0] * len(self.headers))
        total = sum(weights)
        return [int(width * w / total) for w in weights]

    def rows(self, text: TextRenderer, theme: Theme, width: int) -> list[Row]:
        size = theme.body_px
        line_h = theme.line_height(size)
        cols = self._columns(width)
        palette = theme.palette

        def make(cells: Sequence[str], bold: bool, shade: bool) -> Row:
            spoken = (
                ""
                if bold
                else "，".join(f"{h}{c}" for h, c in zip(self.headers, cells, strict=False))
            )

            def draw(surface: pygame.Surface, rect: pygame.Rect, ctx: RowContext) -> None:
                bg = palette.surface if shade else palette.background
                pygame.draw.rect(surface, bg, rect)
                x = rect.x + theme.px(1)
                for cell, w in zip(cells, cols, strict=False):
                    ctx.blit_text(
                        surface,
                        _fit(text, cell, size, w - theme.px(2), bold),
                        (x, rect.y),
                        size,
                        palette.text,
                        bg,
                        bold,
                    )
                    x += w
                if bold:
                    pygame.draw.line(surface, palette.border, rect.bottomleft, rect.bottomright, 2)

            return Row(line_h, draw, spoken=spoken)

        header = make(self.headers, True, False)
        return [
            Row(r.height, r.draw, header=header, spoken=r.spoken)
            for r in (make(cells, False, i % 2 == 1) for i, cells in enumerate(self.body))
        ] or [header]

    def spoken(self) -> str:
        parts = []
        for cells in self.body:
            parts.append("，".join(f"{h}{c}" for h, c in zip(self.headers, cells, strict=False)))
        return "。".join(parts)


@dataclass
class Notice(Block):
    """A message box. ``level`` is "info", "success" or "error"; it always
    carries a symbol and a word (``label``, e.g. "错误：") besides its colour,
    never colour alone. Build it with :func:`notice` so the word is translated."""

    message: str
    level: str = "info"
    label: str = ""

    SYMBOLS = {"info": "ⓘ", "success": "✓", "error": "⚠"}  # noqa: RUF012 - constant table

    def rows(self, text: TextRenderer, theme: Theme, width: int) -> list[Row]:
        size = theme.body_px
        line_h = theme.line_height(size)
        palette = theme.palette
        symbol = self.SYMBOLS[self.level]
        lines = text.wrap(f"{self.label}{self.message}", size, width - theme.px(12), bold=True)
        fg = palette.danger if self.level == "error" and theme.name == "standard" else palette.text
        if theme.name != "standard" and self.level == "error":
            fg = palette.danger_text

        def draw_line(
            i: int, line: str
        ) -> Callable[[pygame.Surface, pygame.Rect, RowContext], None]:
            def draw(surface: pygame.Surface, rect: pygame.Rect, ctx: RowContext) -> None:
                bg = palette.background
                if i == 0:
                    ctx.blit_text(surface, symbol, rect.topleft, size, fg, bg, True)
                ctx.blit_text(surface, line, (rect.x + theme.px(10), rect.y), size, fg, bg, True)

            return draw

        return [
            Row(line_h, draw_line(i, line), spoken=self.message if i == 0 else "")
            for i, line in enumerate(lines)
        ]

    def spoken(self) -> str:
        return self.message


NOTICE_LABELS = {"info": N_("提示："), "success": N_("完成："), "error": N_("错误：")}


def notice(tr: Callable[[str], str], message: str, level: str = "info") -> Notice:
    """A notice whose word for its level is in the screen's language."""
    return Notice(message, level, tr(NOTICE_LABELS[level]))


def _fit(text: TextRenderer, value: str, size: int, width: int, bold: bool) -> str:
    """Shorten ``value`` with an ellipsis to fit ``width`` (table cells only)."""
    if text.width(value, size, bold) <= width:
        return value
    while value and text.width(value + "…", size, bold) > width:
        value = value[:-1]
    return value + "…"


def paginate(rows: list[Row], height: int) -> list[list[Row]]:
    """Pack rows into pages no taller than ``height``; a table row whose page
    does not yet show its table's header gets the header first."""
    pages: list[list[Row]] = []
    page: list[Row] = []
    used = 0
    for row in rows:
        header = row.header
        needs_header = header is not None and header not in page
        extra = header.height if header is not None and needs_header else 0
        if page and used + extra + row.height > height:
            pages.append(page)
            page, used = [], 0
            extra = header.height if header is not None else 0
        if header is not None and header not in page:
            page.append(header)
            used += extra
        page.append(row)
        used += row.height
    if page:
        pages.append(page)
    return pages or [[]]

"""Where a screen's options go: pure geometry from the theme (sizes in mm).

Options are laid out before content (they have a fixed size): in a row at
the bottom of the content area, or, on a ``grid`` screen, as large tiles
filling what the content rows leave. Buttons are at least ~38 mm wide
(45 mm in 长辈 mode) so two-line labels fit at large sizes.
"""

from __future__ import annotations

from collections.abc import Callable

import pygame

from kiosk.i18n import Translator
from kiosk.theme import Theme
from kiosk.ui.options import Option
from kiosk.ui.widgets import Button


def per_row(theme: Theme, count: int, width: int) -> int:
    """How many of ``count`` buttons fit side by side in ``width`` px."""
    max_per_row = max(
        1, (width + theme.gap_px) // (theme.px(45 if theme.elder else 38) + theme.gap_px)
    )
    return min(count, max_per_row)


def option_area(
    theme: Theme, content: pygame.Rect, count: int, rows_height: int, grid: bool
) -> pygame.Rect:
    """Where ``count`` options go: a grid fills what the rows leave; a row sits at the bottom."""
    if count == 0:
        return pygame.Rect(content.x, content.bottom, content.width, 0)
    if grid:
        top = content.top + (rows_height + theme.gap_px if rows_height else 0)
        return pygame.Rect(content.x, top, content.width, content.bottom - top)
    lines = -(-count // per_row(theme, count, content.width))
    height = lines * theme.primary_target_px + (lines - 1) * theme.gap_px
    return pygame.Rect(content.x, content.bottom - height, content.width, height)


def place_buttons(
    theme: Theme,
    tr: Translator,
    numbered: list[tuple[str, Option]],
    area: pygame.Rect,
    *,
    grid: bool,
    action_for: Callable[[Option], Callable[[], None]],
) -> list[Button]:
    """One button per numbered option inside ``area``, each with its key and, when
    disabled, its reason written on it (never colour alone)."""
    if not numbered:
        return []
    g = theme.gap_px
    if grid and area.height > theme.primary_target_px * 2:
        cols = 3 if len(numbered) > 4 else 2 if len(numbered) > 1 else 1
        rows = -(-len(numbered) // cols)
        cell_w = (area.width - (cols - 1) * g) // cols
        cell_h = min((area.height - (rows - 1) * g) // rows, theme.px(70))
    else:
        cols = per_row(theme, len(numbered), area.width)
        cell_w = (area.width - (cols - 1) * g) // cols
        cell_h = theme.primary_target_px
    buttons = []
    for i, (key, opt) in enumerate(numbered):
        r, c = divmod(i, cols)
        rect = pygame.Rect(area.x + c * (cell_w + g), area.y + r * (cell_h + g), cell_w, cell_h)
        buttons.append(
            Button(
                rect=rect,
                label=tr(opt.label),
                action=action_for(opt),
                key_label=key,
                style=opt.style,
                enabled=opt.enabled,
                note=tr(opt.reason) if not opt.enabled and opt.reason else "",
                name=opt.name or opt.label,
            )
        )
    return buttons

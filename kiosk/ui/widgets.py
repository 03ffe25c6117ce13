"""Buttons: the only interactive widget a kiosk screen needs.

A button acts on finger-up inside it (never on finger-down, so a slip can
be corrected), shows a pressed state at once for feedback, carries its key
(digit or named key) visibly so keypad users and voice guidance can name
it, and is never told apart by colour alone: disabled buttons also say why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pygame

from kiosk.theme import Color, Theme
from kiosk.ui.text import TextRenderer

STYLES = ("primary", "secondary", "danger")


@dataclass
class Button:
    rect: pygame.Rect
    label: str  # already translated
    action: Callable[[], None]
    key_label: str = ""  # "1", "Esc", "F1" …
    style: str = "primary"
    enabled: bool = True
    note: str = ""  # second line, e.g. why a service is unavailable
    pressed: bool = False
    name: str = ""  # stable id for tests and the audit
    text_runs: list[tuple[pygame.Rect, Color, Color]] = field(default_factory=list)

    def colors(self, theme: Theme) -> tuple[Color, Color]:
        p = theme.palette
        if self.pressed:
            return p.pressed, p.primary_text if theme.name == "standard" else p.text
        if self.style == "primary":
            return p.primary, p.primary_text
        if self.style == "danger":
            return p.danger, p.danger_text
        return p.secondary, p.secondary_text

    def draw(self, surface: pygame.Surface, text: TextRenderer, theme: Theme, size: int) -> None:
        """Draw the button; records each text run's rect and colours for the audit."""
        self.text_runs = []
        bg, fg = self.colors(theme)
        if not self.enabled:
            bg, fg = theme.palette.surface, theme.palette.text_muted
        radius = max(4, theme.px(2))
        pygame.draw.rect(surface, bg, self.rect, border_radius=radius)
        border = theme.palette.border if theme.name == "standard" else fg
        pygame.draw.rect(
            surface, border, self.rect, width=max(2, theme.px(0.6)), border_radius=radius
        )

        pad = theme.px(2.5)
        inner = self.rect.inflate(-2 * pad, -2 * pad)
        label_x = inner.x
        if self.key_label:
            badge = text.render(self.key_label, size, fg, bold=True)
            badge_rect = badge.get_rect(topleft=(inner.x, inner.y))
            ring = badge_rect.inflate(theme.px(2), theme.px(0.5))
            ring.topleft = (inner.x, inner.y)
            pygame.draw.rect(surface, fg, ring, width=max(2, theme.px(0.5)), border_radius=radius)
            badge_rect.center = ring.center
            surface.blit(badge, badge_rect)
            self.text_runs.append((badge_rect, fg, bg))
            label_x = ring.right + theme.px(2)

        lines = [self.label] + ([self.note] if self.note else [])
        label_width = inner.right - label_x
        rendered: list[pygame.Surface] = []
        for i, line in enumerate(lines):
            for part in text.wrap(line, size, max(label_width, size), bold=(i == 0)):
                rendered.append(text.render(part, size, fg, bold=(i == 0)))
        total_h = sum(s.get_height() for s in rendered)
        y = self.rect.centery - total_h // 2
        area = pygame.Rect(label_x, inner.y, label_width, inner.height)
        for surf in rendered:
            r = surf.get_rect(centerx=area.centerx, y=y)
            r.left = max(r.left, area.left)
            surface.blit(surf, r)
            self.text_runs.append((r, fg, bg))
            y += surf.get_height()

    def hit(self, pos: tuple[int, int]) -> bool:
        return self.enabled and self.rect.collidepoint(pos)

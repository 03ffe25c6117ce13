"""The parts drawn around every screen: the footer (back, home, mode
switches, call staff — always in the same place) and the inactivity
warning with its countdown. Short app-level messages ("staff is coming",
"card read") go into the current screen's notice, which its layout makes
room for, so they never cover a title or an option.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pygame

from kiosk.i18n import Translator
from kiosk.theme import Theme
from kiosk.ui.blocks import RowContext, TextRun
from kiosk.ui.text import TextRenderer
from kiosk.ui.widgets import Button


@dataclass
class ChromeActions:
    back: Callable[[], None]
    home: Callable[[], None]
    toggle_elder: Callable[[], None]
    toggle_voice: Callable[[], None]
    call_staff: Callable[[], None]


def build_footer(
    *,
    size: tuple[int, int],
    theme: Theme,
    text: TextRenderer,
    tr: Translator,
    actions: ChromeActions,
    show_back: bool,
    show_home: bool,
    show_modes: bool,
    elder_on: bool,
    voice_on: bool,
) -> list[Button]:
    """Footer buttons, left to right; 呼叫工作人员 is always last, bottom right."""
    w, h = size
    m, g = theme.margin_px, theme.gap_px
    height = theme.primary_target_px
    top = h - m - height
    size_px = theme.body_px
    specs: list[tuple[str, str, Callable[[], None], str, str]] = []
    if show_back:
        specs.append(("back", tr("返回"), actions.back, "Esc", "secondary"))
    if show_home:
        specs.append(("home", tr("首页"), actions.home, "Home", "secondary"))
    if show_modes:
        elder_label = tr("长辈模式：开") if elder_on else tr("长辈模式")
        voice_label = tr("语音播报：开") if voice_on else tr("语音播报")
        specs.append(("elder", elder_label, actions.toggle_elder, "F2", "primary"))
        specs.append(("voice", voice_label, actions.toggle_voice, "F3", "primary"))
    buttons: list[Button] = []
    x = m
    pad = theme.px(3)
    for name, label, action, key, style in specs:
        width = (
            text.width(label, size_px, True)
            + text.width(key, size_px, True)
            + theme.px(4)
            + 3 * pad
        )
        width = max(width, theme.primary_target_px)
        buttons.append(
            Button(pygame.Rect(x, top, width, height), label, action, key, style, name=name)
        )
        x += width + g
    staff_label = tr("呼叫工作人员")
    staff_w = (
        text.width(staff_label, size_px, True)
        + text.width("F1", size_px, True)
        + theme.px(4)
        + 3 * pad
    )
    staff_rect = pygame.Rect(w - m - staff_w, top, staff_w, height)
    if buttons and buttons[-1].rect.right + g > staff_rect.left:
        # Not enough width on one line: move the other buttons up one row, so
        # call-staff keeps its fixed place at the bottom right.
        for b in buttons:
            b.rect.y -= height + g
    buttons.append(
        Button(staff_rect, staff_label, actions.call_staff, "F1", "danger", name="call_staff")
    )
    return buttons


def draw_warning(
    surface: pygame.Surface,
    *,
    theme: Theme,
    text: TextRenderer,
    tr: Translator,
    seconds_left: int,
    on_continue: Callable[[], None],
    runs: list[TextRun],
) -> Button:
    """The inactivity warning: a modal box with a countdown and one big continue."""
    p = theme.palette
    w, h = surface.get_size()
    shade = pygame.Surface((w, h), pygame.SRCALPHA)
    shade.fill((0, 0, 0, 170))
    surface.blit(shade, (0, 0))
    box = pygame.Rect(
        0,
        0,
        min(w - 2 * theme.margin_px, theme.px(200)),
        min(h - 2 * theme.margin_px, theme.px(120)),
    )
    box.center = (w // 2, h // 2)
    pygame.draw.rect(surface, p.background, box, border_radius=theme.px(2))
    pygame.draw.rect(surface, p.border, box, width=3, border_radius=theme.px(2))
    ctx = RowContext(text, theme, runs)
    y = box.top + theme.margin_px
    for line in text.wrap(
        tr("您还在办理吗？"), theme.title_px, box.width - 2 * theme.margin_px, True
    ):
        ctx.blit_text(
            surface,
            line,
            (box.left + theme.margin_px, y),
            theme.title_px,
            p.text,
            p.background,
            True,
        )
        y += theme.line_height(theme.title_px)
    message = tr.format("{seconds}秒后将退出并清除您的信息", seconds=seconds_left)
    for line in text.wrap(message, theme.body_px, box.width - 2 * theme.margin_px):
        ctx.blit_text(
            surface, line, (box.left + theme.margin_px, y), theme.body_px, p.text, p.background
        )
        y += theme.line_height(theme.body_px)
    button = Button(
        pygame.Rect(
            box.left + theme.margin_px,
            box.bottom - theme.margin_px - theme.primary_target_px,
            box.width - 2 * theme.margin_px,
            theme.primary_target_px,
        ),
        tr("继续办理"),
        on_continue,
        "1",
        "primary",
        name="continue",
    )
    button.draw(surface, text, theme, theme.body_px)
    runs.extend(button.text_runs)
    return button

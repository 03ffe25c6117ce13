"""The screen framework: what every screen shares.

A screen describes itself — title, instruction, content blocks and
numbered options — and :class:`Screen` does the rest the same way
everywhere: numbering and paging, keypad and touch handling, what voice
guidance says, layout (:mod:`kiosk.ui.layout`) and drawing. So every
screen is operable by keypad and touch, speaks its options with their key
numbers, and can be checked by the accessibility audit. Screens never
call drivers or the network: they ask their :class:`~kiosk.ui.context.ScreenContext`.

The loop contract follows pygame_gui (STYLE.md): the app routes input to
:meth:`Screen.handle_key` / :meth:`Screen.pointer_down` /
:meth:`Screen.pointer_up`, calls :meth:`Screen.tick` with the time, and
:meth:`Screen.layout` then :meth:`Screen.draw` when something changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pygame

from kiosk.i18n import N_
from kiosk.session import Identity
from kiosk.ui.blocks import Block, Notice, Row, RowContext, TextRun, notice, paginate
from kiosk.ui.context import ScreenContext
from kiosk.ui.layout import option_area, place_buttons
from kiosk.ui.options import CONFIRM_KEYS, DIGIT_KEYS, Option
from kiosk.ui.widgets import Button


class Screen:
    name: ClassVar[str] = "screen"
    title: ClassVar[str] = ""
    instruction: ClassVar[str] = ""
    personal: ClassVar[bool] = False  # shows personal data: no remote screenshot now
    grid: ClassVar[bool] = False  # options as large tiles filling the screen
    chrome_back: ClassVar[bool] = True
    chrome_home: ClassVar[bool] = True
    mode_switches: ClassVar[bool] = False  # 长辈 / 语音 switches in the footer
    step: ClassVar[tuple[int, int] | None] = None  # (this step, of steps) in the flow
    # Parameters that let tests and the audit open this screen on its own.
    preview: ClassVar[dict[str, Any]] = {}
    # A step that decides at once and moves on (e.g. an eligibility check): never shown.
    transient: ClassVar[bool] = False

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        self.ctx = ctx
        self.params = params
        self.page = 0
        self.notice: Notice | None = None
        self.buttons: list[Button] = []
        self.chrome: list[Button] = []
        self.text_runs: list[TextRun] = []
        self._pages: list[list[Row]] = [[]]
        self._content_rect = pygame.Rect(0, 0, 0, 0)
        self._layout_for: tuple[Any, ...] | None = None
        self._pressed: Button | None = None
        self._last_tap: dict[str, float] = {}

    # --- what a screen describes (override) -----------------------------------------------

    def title_text(self) -> str:
        return self.ctx.tr(self.title)

    def instruction_text(self) -> str:
        return self.ctx.tr(self.instruction) if self.instruction else ""

    def blocks(self) -> list[Block]:
        return []

    def options(self) -> list[Option]:
        return []

    def on_enter(self) -> None:
        """Called when the screen becomes current."""

    def on_leave(self) -> None:
        """Called when another screen replaces this one."""

    def on_identity(self, identity: Identity) -> bool:
        """A card was read while this screen is shown; True if it used it."""
        return False

    def on_payment_code(self, code: Any) -> bool:
        """A payment code was scanned while this screen is shown; True if it used it."""
        return False

    def on_digit(self, digit: str) -> bool:
        """A digit for an input field; True if consumed (else it chooses an option)."""
        return False

    def on_backspace(self) -> bool:
        return False

    def tick(self, now: float) -> bool:
        """Periodic update; return True when something visible changed."""
        return False

    # --- helpers for screens -----------------------------------------------------------------

    def refresh(self) -> None:
        """Content changed: lay out again and redraw."""
        self._layout_for = None
        self.ctx.request_redraw()

    def show_notice(self, message: str, level: str = "info", speak: bool = True) -> None:
        """Show (and speak) a message; ``message`` is already translated."""
        self.notice = notice(self.ctx.tr, message, level)
        self.refresh()
        if speak:
            self.ctx.voice.say(message)

    # --- options, numbering and paging -------------------------------------------------------

    def numbered_options(self) -> list[tuple[str, Option]]:
        """Options with their keys, including pager options when content spans pages."""
        opts = list(self.options())
        if len(self._pages) > 1:
            pager = []
            if self.page > 0:
                pager.append(Option(N_("上一页"), self.prev_page, "secondary", name="prev_page"))
            if self.page < len(self._pages) - 1:
                pager.append(Option(N_("下一页"), self.next_page, "secondary", name="next_page"))
            opts = pager + opts
        return [(str((i + 1) % 10), o) for i, o in enumerate(opts[:10])]

    def prev_page(self) -> None:
        self.page = max(0, self.page - 1)
        self.refresh()
        self.ctx.voice.announce(self)

    def next_page(self) -> None:
        self.page = min(len(self._pages) - 1, self.page + 1)
        self.refresh()
        self.ctx.voice.announce(self)

    @property
    def page_count(self) -> int:
        return len(self._pages)

    # --- speech ------------------------------------------------------------------------------

    def speech(self) -> list[str]:
        """Title, instruction, what is on this page, then every option with its key."""
        tr = self.ctx.tr
        parts = [self.title_text()]
        if self.instruction_text():
            parts.append(self.instruction_text())
        parts.extend(row.spoken for row in self._pages[self.page] if row.spoken)
        if len(self._pages) > 1:
            parts.append(
                tr.format("第{page}页，共{pages}页", page=self.page + 1, pages=len(self._pages))
            )
        for key, opt in self.numbered_options():
            label = tr(opt.label)
            if opt.enabled:
                parts.append(tr.format("{label}，请按{key}", label=label, key=key))
            else:
                parts.append(
                    tr.format("{label}暂不可用：{reason}", label=label, reason=tr(opt.reason))
                )
        return [p for p in parts if p]

    # --- input -------------------------------------------------------------------------------

    def handle_key(self, key: int, now: float) -> bool:
        if key in DIGIT_KEYS:
            digit = DIGIT_KEYS[key]
            if self.on_digit(digit):
                return True
            for k, opt in self.numbered_options():
                if k == digit:
                    return self._choose(opt)
            return False
        if key in CONFIRM_KEYS:
            for _, opt in self.numbered_options():
                if opt.confirm:
                    return self._choose(opt)
            return False
        if key == pygame.K_BACKSPACE:
            return self.on_backspace()
        return False

    def pointer_down(self, pos: tuple[int, int]) -> bool:
        for button in self.buttons + self.chrome:
            if button.hit(pos):
                button.pressed = True
                self._pressed = button
                return True
        return False

    def pointer_up(self, pos: tuple[int, int], now: float, debounce_s: float) -> bool:
        pressed, self._pressed = self._pressed, None
        if pressed is None:
            return False
        pressed.pressed = False
        if not pressed.rect.collidepoint(pos):
            return True  # slid off: no action, but the pressed look must go
        last = self._last_tap.get(pressed.name, -1e9)
        if now - last < debounce_s:
            return True  # tremor: a repeated tap on the same target is ignored
        self._last_tap[pressed.name] = now
        pressed.action()
        return True

    def _touch_action(self, opt: Option) -> Callable[[], None]:
        def act() -> None:
            self._choose(opt)

        return act

    def _choose(self, opt: Option) -> bool:
        if not opt.enabled:
            self.ctx.voice.say(self.ctx.tr(opt.reason) or self.ctx.tr("此项暂不可用"))
            return True
        self.ctx.voice.echo(self.ctx.tr(opt.label))
        opt.action()
        return True

    # --- layout and drawing ------------------------------------------------------------------

    def layout(self, size: tuple[int, int], chrome: list[Button]) -> None:
        """Place header, content rows (paged), option buttons; ``chrome`` is the footer."""
        theme, text = self.ctx.theme, self.ctx.text
        key = (size, theme, self.ctx.tr.language, len(chrome), id(self.notice))
        if key == self._layout_for:
            return
        w, h = size
        m, g = theme.margin_px, theme.gap_px
        title_h = theme.line_height(theme.title_px)
        instr_lines = (
            text.wrap(self.instruction_text(), theme.body_px, w - 2 * m)
            if self.instruction_text()
            else []
        )
        header_h = m + title_h + len(instr_lines) * theme.line_height(theme.body_px) + g
        footer_top = min((b.rect.top for b in chrome), default=h) - g
        content = pygame.Rect(m, header_h, w - 2 * m, max(0, footer_top - header_h))

        # Options first (they have a fixed size), then content rows in what is left.
        blocks = ([self.notice] if self.notice else []) + self.blocks()
        rows: list[Row] = []
        for block in blocks:
            rows.extend(block.rows(text, theme, content.width))
        natural = sum(r.height for r in rows)
        # Pages are computed for the height left above the options; the pager
        # options (上一页/下一页) join the option row, so count them in first.
        area = option_area(theme, content, len(self.options()) + 2, natural, self.grid)
        rows_height = max(area.top - content.top - g, theme.line_height(theme.body_px))
        self._pages = paginate(rows, rows_height) if rows else [[]]
        self.page = min(self.page, len(self._pages) - 1)
        numbered = self.numbered_options()
        used = sum(r.height for r in self._pages[self.page])
        area = option_area(theme, content, len(numbered), used, self.grid)
        self._content_rect = pygame.Rect(
            content.x, content.y, content.width, max(0, area.top - content.top - g)
        )
        self.buttons = place_buttons(
            theme, self.ctx.tr, numbered, area, grid=self.grid, action_for=self._touch_action
        )
        self.chrome = chrome
        self._layout_for = key

    def draw(self, surface: pygame.Surface) -> None:
        theme, text = self.ctx.theme, self.ctx.text
        p = theme.palette
        self.text_runs = []
        surface.fill(p.background)
        ctx = RowContext(text, theme, self.text_runs)
        m = theme.margin_px
        title_rect = ctx.blit_text(
            surface, self.title_text(), (m, m), theme.title_px, p.text, p.background, True
        )
        if self.step is not None:
            step_text = self.ctx.tr.format(
                "第{n}步，共{total}步", n=self.step[0], total=self.step[1]
            )
            sw = text.width(step_text, theme.small_px)
            ctx.blit_text(
                surface,
                step_text,
                (surface.get_width() - m - sw, m),
                theme.small_px,
                p.text_muted,
                p.background,
            )
        if self.instruction_text():
            y = title_rect.top + theme.line_height(theme.title_px)
            for line in text.wrap(
                self.instruction_text(), theme.body_px, surface.get_width() - 2 * m
            ):
                ctx.blit_text(surface, line, (m, y), theme.body_px, p.text_muted, p.background)
                y += theme.line_height(theme.body_px)
        y = self._content_rect.top
        for row in self._pages[self.page]:
            row.draw(
                surface,
                pygame.Rect(self._content_rect.x, y, self._content_rect.width, row.height),
                ctx,
            )
            y += row.height
        for button in self.buttons + self.chrome:
            button.draw(surface, text, theme, theme.body_px)
            self.text_runs.extend(button.text_runs)

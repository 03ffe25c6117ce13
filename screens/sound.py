"""音量和语速: louder, quieter and the speaking speed, on screen.

The same settings as the keypad's ``+``/``-`` and ``/`` keys, for people who
use the touch screen. The volume is shown as words and a row of blocks
(never colour alone); every change is spoken at the new level so the
person hears the result. Both reset when the session ends (EN 301 549
§5.1.3.13, accessibility.md §5).
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from drivers.speech import RATE_STEPS_CPM
from kiosk.i18n import N_
from kiosk.theme import Theme
from kiosk.ui import Option, Screen
from kiosk.ui.blocks import Block, Paragraph, Row, RowContext
from kiosk.ui.text import TextRenderer

RATE_NAMES = dict(zip(sorted(RATE_STEPS_CPM), (N_("慢"), N_("中"), N_("快")), strict=True))


@dataclass
class VolumeBar(Block):
    """Filled and empty squares, one per volume step: a picture beside the words
    (the words are what is spoken; the squares are not read out)."""

    step: int
    steps: int

    def rows(self, text: TextRenderer, theme: Theme, width: int) -> list[Row]:
        side = theme.px(8)
        gap = theme.px(2)
        palette = theme.palette

        def draw(surface: pygame.Surface, rect: pygame.Rect, ctx: RowContext) -> None:
            for i in range(self.steps):
                box = pygame.Rect(rect.x + i * (side + gap), rect.y + gap, side, side)
                pygame.draw.rect(surface, palette.text, box, width=0 if i <= self.step else 3)

        return [Row(side + 2 * gap, draw)]

    def spoken(self) -> str:
        return ""


class SoundScreen(Screen):
    name = "sound"
    title = N_("音量和语速")
    instruction = N_("按1声音变大，按2声音变小，按3调整语速")

    def blocks(self) -> list[Block]:
        tr = self.ctx.tr
        step, steps, cpm = self.ctx.modes.sound_levels()
        speed = tr(RATE_NAMES.get(cpm, N_("中")))
        return [
            Paragraph(
                tr.format("音量：第{step}级，共{steps}级", step=step + 1, steps=steps),
                bold=True,
                large=True,
            ),
            VolumeBar(step, steps),
            Paragraph(tr.format("语速：{speed}（每分钟约{cpm}字）", speed=speed, cpm=cpm)),
        ]

    def options(self) -> list[Option]:
        step, steps, _ = self.ctx.modes.sound_levels()
        return [
            Option(
                N_("声音大一点"),
                self._louder,
                enabled=step < steps - 1,
                reason=N_("已经是最大音量"),
                name="louder",
            ),
            Option(
                N_("声音小一点"),
                self._quieter,
                enabled=step > 0,
                reason=N_("已经是最小音量"),
                name="quieter",
            ),
            Option(N_("调整语速"), self._rate, "secondary", name="rate"),
        ]

    def _louder(self) -> None:
        self.ctx.modes.change_volume(+1)
        self.refresh()

    def _quieter(self) -> None:
        self.ctx.modes.change_volume(-1)
        self.refresh()

    def _rate(self) -> None:
        cpm = self.ctx.modes.cycle_speech_rate()
        speed = self.ctx.tr(RATE_NAMES.get(cpm, N_("中")))
        self.ctx.voice.say(self.ctx.tr.format("语速已调整为{speed}", speed=speed))
        self.refresh()

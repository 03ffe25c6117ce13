"""Colours and sizes, in millimetres converted with the display's pixel density.

Sizes follow specs/accessibility.md: in 长辈 mode body text is at least 7 mm
tall (CJK glyph height), primary targets at least 20 mm and none below
16 mm, gaps at least 4 mm, line spacing at least 1.3x. Contrast of body
text is at least 7:1 in 长辈 mode and 4.5:1 everywhere; both themes below
meet 7:1 for every text colour on the surface it is drawn on (checked by
``python -m tools.audit`` from rendered pixels).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Color = tuple[int, int, int]

# Noto Sans CJK: the ink of a full ideograph is about 0.88 em tall. Dividing
# by a slightly smaller ratio keeps the rendered glyph at or above the target.
_CJK_INK_PER_EM = 0.86


def mm_to_px(mm: float, ppi: float) -> int:
    """Whole pixels covering at least ``mm`` millimetres at ``ppi``."""
    return math.ceil(mm * ppi / 25.4)


def px_to_mm(px: float, ppi: float) -> float:
    return px * 25.4 / ppi


@dataclass(frozen=True)
class Palette:
    background: Color
    text: Color
    text_muted: Color
    surface: Color  # cards and table rows
    primary: Color  # main action tiles
    primary_text: Color
    secondary: Color  # back/home and other chrome buttons
    secondary_text: Color
    danger: Color  # errors and "call staff"
    danger_text: Color
    border: Color
    focus: Color
    pressed: Color


STANDARD = Palette(
    background=(247, 245, 240),
    text=(26, 26, 26),
    text_muted=(66, 66, 66),
    surface=(255, 255, 255),
    primary=(11, 71, 140),
    primary_text=(255, 255, 255),
    secondary=(232, 236, 242),
    secondary_text=(20, 33, 61),
    danger=(140, 29, 24),
    danger_text=(255, 255, 255),
    border=(120, 120, 120),
    focus=(230, 160, 0),
    pressed=(6, 40, 82),
)

HIGH_CONTRAST = Palette(
    background=(0, 0, 0),
    text=(255, 255, 255),
    text_muted=(255, 255, 0),
    surface=(0, 0, 0),
    primary=(0, 0, 0),
    primary_text=(255, 255, 0),
    secondary=(0, 0, 0),
    secondary_text=(255, 255, 255),
    danger=(0, 0, 0),
    danger_text=(255, 120, 120),
    border=(255, 255, 255),
    focus=(0, 255, 255),
    pressed=(60, 60, 0),
)

PALETTES = {"standard": STANDARD, "high_contrast": HIGH_CONTRAST}


@dataclass(frozen=True)
class Sizes:
    """Millimetre sizes for one mode."""

    body_mm: float  # CJK glyph height of body text
    title_mm: float
    small_mm: float  # captions, step indicator (still readable)
    primary_target_mm: float
    min_target_mm: float
    gap_mm: float
    margin_mm: float
    line_spacing: float


STANDARD_SIZES = Sizes(
    body_mm=5.0,
    title_mm=7.0,
    small_mm=4.2,
    primary_target_mm=20.0,
    min_target_mm=16.0,
    gap_mm=4.0,
    margin_mm=6.0,
    line_spacing=1.35,
)

ELDER_SIZES = Sizes(
    body_mm=7.4,
    title_mm=9.5,
    small_mm=7.1,
    primary_target_mm=24.0,
    min_target_mm=20.0,
    gap_mm=5.0,
    margin_mm=6.0,
    line_spacing=1.4,
)


@dataclass(frozen=True)
class Theme:
    """Everything a screen needs to draw: colours and pixel sizes for one mode."""

    name: str
    palette: Palette
    sizes: Sizes
    ppi: float
    elder: bool

    @classmethod
    def build(cls, *, ppi: float, elder: bool, high_contrast: bool) -> Theme:
        name = "high_contrast" if high_contrast else "standard"
        return cls(
            name=name,
            palette=PALETTES[name],
            sizes=ELDER_SIZES if elder else STANDARD_SIZES,
            ppi=ppi,
            elder=elder,
        )

    def px(self, mm: float) -> int:
        return mm_to_px(mm, self.ppi)

    def font_px(self, glyph_mm: float) -> int:
        """Font size in pixels whose CJK glyphs are at least ``glyph_mm`` tall."""
        return math.ceil(self.px(glyph_mm) / _CJK_INK_PER_EM)

    @property
    def body_px(self) -> int:
        return self.font_px(self.sizes.body_mm)

    @property
    def title_px(self) -> int:
        return self.font_px(self.sizes.title_mm)

    @property
    def small_px(self) -> int:
        return self.font_px(self.sizes.small_mm)

    @property
    def primary_target_px(self) -> int:
        return self.px(self.sizes.primary_target_mm)

    @property
    def min_target_px(self) -> int:
        return self.px(self.sizes.min_target_mm)

    @property
    def gap_px(self) -> int:
        return self.px(self.sizes.gap_mm)

    @property
    def margin_px(self) -> int:
        return self.px(self.sizes.margin_mm)

    def line_height(self, font_px: int) -> int:
        return math.ceil(font_px * self.sizes.line_spacing)


def relative_luminance(color: Color) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in color)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: Color, b: Color) -> float:
    """WCAG contrast ratio between two colours (1.0 to 21.0)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)

"""Measurements from rendered pixels: text height and contrast of one text run.

A text run is the rectangle a string was blitted into, as recorded while
drawing. Everything here reads the *pixels* inside that rectangle, not the
colours the code meant to use, so text drawn over the wrong background,
painted over, or clipped is caught.

- Background: the most frequent colour in the rectangle.
- Foreground: among colours seen at least :data:`MIN_INK_PIXELS` times, the
  one with the highest contrast against the background (a fully covered
  stroke pixel; anti-aliased edges have less).
- Ink: pixels on the foreground side of the luminance midpoint. Rows whose
  ink spans most of the width are rules or borders, not glyphs, and are
  ignored.
- Glyph clusters: runs of ink columns separated by empty columns.
- CJK height: the tallest cluster that is at least 0.6 em wide and 0.78 em
  tall (a Chinese character; Latin capitals are ~0.73 em tall). This is the
  "CJK glyph height" of specs/accessibility.md §1. When the string is known
  (the audit's surface records it) and the ink confirms the size, the
  height of a full ideograph (国) at that size is reported, so a run of flat
  characters ("无") is not judged by its shape.
- Latin height: the capital-H height of the font size the run was drawn at
  (EN 301 549 §5.1.4 measures the capital H), once the ink confirms a glyph
  reaching cap height (digits are a little shorter than H). The size, em and
  baseline come from the font's own metrics for the rectangle's height
  (pygame.freetype renders padded to the font's line box); for text not
  drawn by the kiosk's font, the ink from top to baseline is used. A Latin
  run with no glyph reaching 0.66 em ("on", "…") has no capital to measure:
  kind "short", contrast only.
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame
import pygame.freetype
from PIL import Image

from kiosk.theme import Color, contrast_ratio

MIN_INK_PIXELS = 3
RULE_FRACTION = 0.8  # a row with ink across this much of the width is a line, not text
CJK_MIN_WIDTH_EM = 0.6
CJK_MIN_HEIGHT_EM = 0.78
LATIN_MIN_CAP_EM = 0.66  # below this the run has no capital, digit or ascender
Bbox = tuple[int, int, int, int]  # left, top, right, bottom (PIL)


@dataclass(frozen=True)
class FontMetrics:
    """Line-box height → (size, ascender, capital-H height, 国 height), all px, for the
    kiosk's font."""

    by_height: dict[int, tuple[int, int, int, int]]

    @classmethod
    def from_font(cls, font: pygame.freetype.Font) -> FontMetrics:
        table: dict[int, tuple[int, int, int, int]] = {}
        pad = font.pad
        for size in range(6, 200):
            font.pad = True  # as the kiosk renders: the surface is the padded line box
            height = font.render("H", fgcolor=(0, 0, 0), size=size)[0].get_height()
            if height in table:
                continue  # keep the smaller size: the conservative reading
            cap, han = _ink_height(font, "H", size), _ink_height(font, "国", size)
            table[height] = (size, int(font.get_sized_ascender(size)), cap, han)
        font.pad = pad
        return cls(table)

    def lookup(self, height: int) -> tuple[float, int, int | None, int | None]:
        """(em, baseline offset from the top, capital-H height, 国 height) for a line box
        ``height`` px tall; the last two are None when no plain render of the kiosk font
        has that height."""
        hit = self.by_height.get(height)
        if hit is not None:
            return float(hit[0]), hit[1], hit[2], hit[3]
        # Not a plain render of the kiosk font: estimate from the same proportions.
        sample_h = max(self.by_height)
        size, ascender, _, _ = self.by_height[sample_h]
        return height * size / sample_h, round(height * ascender / sample_h), None, None


def _ink_height(font: pygame.freetype.Font, glyph: str, size: int) -> int:
    """Rows of ``glyph`` at least half inked, black on white: the same rule as for runs."""
    surf = font.render(glyph, fgcolor=(0, 0, 0), bgcolor=(255, 255, 255), size=size)[0]
    img = Image.frombytes("RGB", surf.get_size(), pygame.image.tobytes(surf, "RGB"))
    bbox = img.convert("L").point(lambda v: 255 if v < 128 else 0).getbbox()
    return 0 if bbox is None else bbox[3] - bbox[1]


@dataclass(frozen=True)
class RunMeasure:
    """What one text run looks like on screen. Heights in px; ``kind`` is cjk/latin/none."""

    kind: str
    height_px: int
    contrast: float
    fg: Color
    bg: Color
    ink: pygame.Rect | None  # absolute ink bounding box, rules excluded


def _luminance(c: Color) -> float:
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]


def is_cjk(text: str) -> bool:
    """True if ``text`` has a Han character (CJK unified ideographs and extension A)."""
    return any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text)


def _text_colours(img: Image.Image) -> tuple[Color, Color, float]:
    """(foreground, background, contrast): the most common colour is the background;
    the ink is the colour of at least :data:`MIN_INK_PIXELS` pixels that contrasts most."""
    found = img.getcolors(img.width * img.height) or []
    colours: list[tuple[int, Color]] = [
        (count, (c[0], c[1], c[2])) for count, c in found if isinstance(c, tuple)
    ]
    colours.sort(reverse=True)
    bg = colours[0][1]
    fg = bg
    best = 1.0
    for count, colour in colours[1:]:
        if count < MIN_INK_PIXELS:
            continue
        ratio = contrast_ratio(colour, bg)
        if ratio > best:
            best, fg = ratio, colour
    return fg, bg, best


def _glyph_ink(img: Image.Image, fg: Color, bg: Color) -> tuple[Image.Image, Bbox | None]:
    """The ink as a 0/255 mask with rules (button rings, table lines) blanked out, and
    the bounding box of all ink before that."""
    mid = (_luminance(fg) + _luminance(bg)) / 2
    brighter = _luminance(fg) > _luminance(bg)
    ink = img.convert("L").point(lambda v: 255 if (v > mid) == brighter else 0)
    w, h = ink.size
    data = ink.tobytes()
    rows = [data[y * w : (y + 1) * w].count(255) for y in range(h)]
    rule_rows = [y for y, n in enumerate(rows) if n >= RULE_FRACTION * w]
    whole = ink.getbbox()
    if rule_rows and len(rule_rows) < sum(1 for n in rows if n):
        # Blank out rules so they don't count as glyphs.
        ink = ink.copy()
        for y in rule_rows:
            ink.paste(0, (0, y, w, y + 1))
    return ink, whole


def _cjk_height(ink: Image.Image, em: float, chinese: bool) -> int:
    """The tallest wide glyph cluster (a Han character, not a radical or punctuation);
    ``chinese``: the run's text is known to be Chinese, so a flat one counts too."""
    w, h = ink.size
    columns = ink.transpose(Image.Transpose.TRANSPOSE).tobytes()
    inked = [columns[x * h : (x + 1) * h].count(255) > 0 for x in range(w)]
    height = 0
    x = 0
    while x < w:
        if not inked[x]:
            x += 1
            continue
        start = x
        while x < w and inked[x]:
            x += 1
        cluster = ink.crop((start, 0, x, h)).getbbox()
        if cluster is None:
            continue
        cw, ch = x - start, cluster[3] - cluster[1]
        wide = cw >= CJK_MIN_WIDTH_EM * em  # not a radical alone, nor punctuation
        if wide and (ch >= CJK_MIN_HEIGHT_EM * em or chinese):
            height = max(height, ch)
    return height


def measure_run(
    surface: pygame.Surface, rect: pygame.Rect, metrics: FontMetrics, text: str | None = None
) -> RunMeasure:
    """Measure the text drawn in ``rect`` of ``surface`` (see the module docstring).

    ``text``, when known, decides Chinese or Latin; otherwise the glyph shapes do.
    """
    clip = rect.clip(surface.get_rect())
    if clip.width < 2 or clip.height < 2:
        return RunMeasure("none", 0, 1.0, (0, 0, 0), (0, 0, 0), None)
    raw = pygame.image.tobytes(surface.subsurface(clip), "RGB")
    img = Image.frombytes("RGB", clip.size, raw)
    fg, bg, best = _text_colours(img)
    if fg == bg:
        return RunMeasure("none", 0, 1.0, fg, bg, None)
    ink, whole = _glyph_ink(img, fg, bg)
    bbox = ink.getbbox()
    if bbox is None:
        if whole is None:
            return RunMeasure("none", 0, best, fg, bg, None)
        # Only a line ("＿" as an empty-field placeholder): visible, nothing to size.
        box = pygame.Rect(clip.x + whole[0], clip.y + whole[1], whole[2] - whole[0], 1)
        return RunMeasure("short", 0, best, fg, bg, box)

    em, baseline, cap_h, han_h = metrics.lookup(rect.height)
    top_offset = clip.top - rect.top  # the rect may be clipped at the top of the screen
    chinese = text is not None and is_cjk(text)
    cjk_height = _cjk_height(ink, em, chinese)
    absolute = pygame.Rect(clip.x + bbox[0], clip.y + bbox[1], bbox[2] - bbox[0], bbox[3] - bbox[1])
    if cjk_height and (text is None or chinese):
        if chinese and han_h and cjk_height >= CJK_MIN_HEIGHT_EM * em:
            # The ink confirms the size; report it as the height of a full ideograph
            # (国) at that size, so a run of flat glyphs ("无", "一") is not undersized.
            return RunMeasure("cjk", max(cjk_height, han_h), best, fg, bg, absolute)
        return RunMeasure("cjk", cjk_height, best, fg, bg, absolute)
    latin = max(0, baseline - top_offset - bbox[1])
    if latin < LATIN_MIN_CAP_EM * em:
        # Only x-height glyphs or punctuation ("on", "…"): there is no capital to measure.
        return RunMeasure("short", latin, best, fg, bg, absolute)
    # EN 301 549 §5.1.4 sizes Latin text by its capital H: with the size known from the
    # line box (and confirmed by ink reaching cap height), use the font's own H.
    return RunMeasure("latin", cap_h or latin, best, fg, bg, absolute)

"""The office's seal (公章) as an image, generated, never copied: a red ring,
the office's name around the upper arc, a five-pointed star in the middle,
as official round seals are laid out (GA 241-2000 describes the real ones).
It is drawn as the appearance of the office's PAdES signature
(:mod:`hub.documents.signing`), so the visible seal and the cryptographic one
are the same object on the page.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SEAL_RED = (214, 0, 0, 235)  # slightly translucent: the text under it stays legible
SIZE_PX = 600  # 44 mm printed at ~350 dpi
# Arc of the office name, in degrees either side of the top (GA 241: the name
# runs clockwise over roughly 240 degrees of the ring).
_ARC_DEG = 120.0


def _star(cx: float, cy: float, outer: float) -> list[tuple[float, float]]:
    inner = outer * math.sin(math.radians(18)) / math.sin(math.radians(126))
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.radians(-90 + i * 36)
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def seal_image(office: str, font_file: Path, font_index: int = 0) -> Image.Image:
    """An RGBA image of ``office``'s seal, transparent outside the ink.

    ``font_file`` is an OpenType font with the office name's characters (a bold
    CJK face reads best); ``font_index`` picks the face in a collection.
    Raises ``ValueError`` for an empty name.
    """
    name = office.strip()
    if not name:
        raise ValueError("the seal needs the office's name")
    image = Image.new("RGBA", (SIZE_PX, SIZE_PX), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    centre = SIZE_PX / 2
    ring = SIZE_PX * 0.47
    width = int(SIZE_PX * 0.035)
    draw.ellipse(
        (centre - ring, centre - ring, centre + ring, centre + ring), outline=SEAL_RED, width=width
    )
    draw.polygon(_star(centre, centre, SIZE_PX * 0.16), fill=SEAL_RED)
    # Each character is drawn upright on its own tile, then turned to face the
    # centre and pasted on the ring.
    glyph = int(SIZE_PX * 0.105) if len(name) <= 12 else int(SIZE_PX * 1.25 / len(name))
    font = ImageFont.truetype(str(font_file), glyph, index=font_index)
    text_radius = ring - width - glyph * 0.72
    step = 2 * _ARC_DEG / max(len(name) - 1, 1)
    for i, char in enumerate(name):
        angle = -_ARC_DEG + i * step if len(name) > 1 else 0.0
        tile = Image.new("RGBA", (glyph * 2, glyph * 2), (255, 255, 255, 0))
        ImageDraw.Draw(tile).text((glyph, glyph), char, font=font, fill=SEAL_RED, anchor="mm")
        tile = tile.rotate(-angle, resample=Image.Resampling.BICUBIC)
        x = centre + text_radius * math.sin(math.radians(angle))
        y = centre - text_radius * math.cos(math.radians(angle))
        image.alpha_composite(tile, (int(x - glyph), int(y - glyph)))
    # Ink is the alpha channel alone over solid red: the PDF keeps colour and
    # alpha as two images (an SMask), and nothing white may ever cover the page.
    solid = Image.new("RGBA", image.size, (*SEAL_RED[:3], 255))
    solid.putalpha(image.getchannel("A"))
    return solid

"""Comparing what the VM's screen shows with what the kiosk's code draws.

The boot test renders the expected screen on the host with the same code,
fonts and size (SDL's dummy driver), then compares it with QMP's screendump
pixel by pixel. Parts that change on their own (the attract screen's rotating
tip, a clock) are left out by a *stable mask*: the pixels equal in several
renders taken at different moments. A black screen, another screen, or a
picture cage scaled or shifted all fail the comparison.
"""

from __future__ import annotations

import pygame
from PIL import Image, ImageChops, ImageStat


def from_surface(surface: pygame.Surface) -> Image.Image:
    """A pygame surface as an RGB image."""
    return Image.frombytes("RGB", surface.get_size(), pygame.image.tobytes(surface, "RGB"))


def stable_mask(*renders: Image.Image) -> Image.Image:
    """A mask (mode L) of the pixels that are the same in every render: 255 there, 0 elsewhere."""
    first = renders[0]
    mask = Image.new("L", first.size, 255)
    for other in renders[1:]:
        same = (
            ImageChops.difference(first, other).convert("L").point(lambda v: 255 if v == 0 else 0)
        )
        mask = ImageChops.multiply(mask, same)
    return mask


def mean_difference(
    shown: Image.Image, expected: Image.Image, mask: Image.Image | None = None
) -> float:
    """Mean absolute difference per channel, 0 (identical) to 255, over ``mask`` if given."""
    if shown.size != expected.size:
        return 255.0
    diff = ImageChops.difference(shown.convert("RGB"), expected.convert("RGB"))
    stat = ImageStat.Stat(diff, mask)
    return float(sum(stat.mean) / len(stat.mean))


def matches(
    shown: Image.Image,
    expected: Image.Image,
    mask: Image.Image | None = None,
    tolerance: float = 2.0,
) -> bool:
    """True when ``shown`` is ``expected`` (within ``tolerance`` of mean difference)."""
    return mean_difference(shown, expected, mask) <= tolerance


def spread(image: Image.Image) -> float:
    """How much the picture varies (mean standard deviation of the channels): a blank
    or black screen is near 0, a screen with text is well above 10."""
    return float(sum(ImageStat.Stat(image.convert("RGB")).stddev) / 3)

"""Finds the CJK font at start and hands out sized font objects.

Noto Sans CJK ships as a TrueType collection whose faces are JP, KR, SC, TC,
HK; fontconfig tells which face index is Simplified Chinese, so glyphs use
the mainland forms. Without a CJK font the kiosk cannot show Chinese: it
refuses to start and names the package to install.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pygame.freetype

FONT_PACKAGE = "fonts-noto-cjk"
_FAMILY = "Noto Sans CJK SC"


class FontMissing(Exception):
    """No CJK font is installed."""

    def __init__(self) -> None:
        super().__init__(
            f"No Chinese font found (looked for '{_FAMILY}' through fontconfig). "
            f"Install it with: apt-get install {FONT_PACKAGE}"
        )


@dataclass(frozen=True)
class FontFace:
    path: Path
    index: int


def _fc_match_start(pattern: str) -> subprocess.Popen[str] | None:
    try:
        return subprocess.Popen(
            ["fc-match", "-f", "%{file}\t%{index}\t%{family}", pattern],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
    except OSError:
        return None


def _fc_match_result(proc: subprocess.Popen[str] | None) -> FontFace | None:
    if proc is None:
        return None
    try:
        out, _ = proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None
    if proc.returncode != 0:
        return None
    parts = out.split("\t")
    if len(parts) < 3 or "CJK" not in parts[2]:
        return None  # fontconfig fell back to some non-CJK font
    return FontFace(Path(parts[0]), int(parts[1] or 0))


def find_cjk_faces() -> tuple[FontFace, FontFace]:
    """The regular and bold CJK faces; raises :class:`FontMissing`.

    Both fc-match processes run at once: each costs 15-30 ms of start-up
    before the first frame (bench/cold_start.py), mostly waiting.
    """
    regular_proc = _fc_match_start(_FAMILY)
    bold_proc = _fc_match_start(f"{_FAMILY}:bold")
    regular = _fc_match_result(regular_proc)
    bold = _fc_match_result(bold_proc)
    if regular is None:
        raise FontMissing()
    return regular, bold or regular


class FontBook:
    """One freetype font object per face, rendered at any pixel size.

    ``pygame.freetype`` renders a given string about a third faster than
    ``pygame.font`` (specs/rendering.md) and takes the collection index.
    """

    def __init__(self, regular: FontFace, bold: FontFace) -> None:
        if not pygame.freetype.get_init():
            pygame.freetype.init()
        self._regular = self._load(regular)
        self._bold = self._load(bold)

    @staticmethod
    def _load(face: FontFace) -> pygame.freetype.Font:
        font = pygame.freetype.Font(str(face.path), size=16, font_index=face.index)
        font.pad = True  # every line of one size gets the same height: stable layout
        font.antialiased = True
        return font

    def font(self, bold: bool = False) -> pygame.freetype.Font:
        return self._bold if bold else self._regular

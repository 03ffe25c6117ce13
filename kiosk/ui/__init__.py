"""The terminal's UI toolkit: fonts and cached text, content blocks, buttons,
layout, and the screen framework every screen builds on.

Public face: :class:`Screen`, :class:`Option` (with :data:`DIGIT_KEYS` and
:data:`CONFIRM_KEYS`), :class:`ScreenContext` (what a screen may ask for,
with its groups) and :class:`ScreenSet` (the screens the entry point hands
to the app). Only the app loop's thread uses these (they touch pygame
surfaces)."""

from __future__ import annotations

from kiosk.ui.context import ScreenContext, TerminalInfo
from kiosk.ui.options import CONFIRM_KEYS, DIGIT_KEYS, Option
from kiosk.ui.registry import REQUIRED, ScreenSet
from kiosk.ui.screen import Screen

__all__ = [
    "CONFIRM_KEYS",
    "DIGIT_KEYS",
    "REQUIRED",
    "Option",
    "Screen",
    "ScreenContext",
    "ScreenSet",
    "TerminalInfo",
]

"""Fixtures for driving the real app headless (SDL dummy video) with
synthesised pygame events, against fake devices and a hub faked at its JSON boundary."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

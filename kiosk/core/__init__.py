"""The controllers the app is made of (mopidy's ``core/`` is the model: the
app forwards to small controllers, each in its own module).

- :class:`Navigator` — the screen stack (go / replace / back / home), the
  attract and out-of-service screens, entering and leaving screens;
- :class:`ModesController` (with :class:`Themes`) — 长辈, voice, contrast,
  language, headphones, volume and speech rate;
- :class:`SessionLifecycle` — begin, end and wipe, banners, inactivity;
- :class:`ServiceState` — maintenance, journal failure, devices out of
  service, operators' announcements;
- :class:`DeviceEvents` — cards, payment codes, device errors, health;
- :class:`Speaker` — what the kiosk says;
- :class:`Renderer` with :class:`Display` — drawing frames;
- :class:`ScreenTasks`, :class:`ScreenDevices`, :class:`LocalClock` — parts
  of the screens' narrow context.

Errors become words in one place, :func:`kiosk.errors.words_for`.

:class:`kiosk.app.App` wires them and runs the loop.
"""

from __future__ import annotations

from kiosk.core.device_events import DeviceEvents
from kiosk.core.display import Display
from kiosk.core.lifecycle import SessionLifecycle
from kiosk.core.modes import ModesController, Themes
from kiosk.core.navigator import Navigator
from kiosk.core.rendering import Renderer
from kiosk.core.screen_parts import LocalClock, ScreenDevices, ScreenTasks
from kiosk.core.service import ServiceState
from kiosk.core.speaker import Speaker

__all__ = [
    "DeviceEvents",
    "Display",
    "LocalClock",
    "ModesController",
    "Navigator",
    "Renderer",
    "ScreenDevices",
    "ScreenTasks",
    "ServiceState",
    "SessionLifecycle",
    "Speaker",
    "Themes",
]

"""What a screen may ask for: the narrow context every screen is given.

A screen never sees the app. It gets one :class:`ScreenContext`, built by
the app, whose members are grouped by what they are for::

    ctx.tr, ctx.text, ctx.theme   words, rendered text and sizes/colours now
    ctx.session                   the visit: identity, modes, the flow's data
    ctx.nav                       go / replace / back / home / end_session
    ctx.voice                     say / echo / announce / key_feedback
    ctx.modes                     the person's switches and sound levels
    ctx.tasks                     run(work, on_done, on_error) off the UI thread
    ctx.devices                   available(device), print_receipt(...), print_document(...)
    ctx.clock                     today(), local_now(), now_text()
    ctx.terminal                  name, demo, announcement
    ctx.flows                     what the terminal asks the hub, one flow per purpose
    ctx.record(kind, data)        journal a step before its side effect
    ctx.error_message(exc)        plain words for any error a task can raise
    ctx.request_redraw()          something visible changed

The groups are protocols: a screen can call only what they name (mypy
checks it), and tests can hand in fakes for any of them. Screens never
call drivers or the network themselves (DESIGN.md §2): a flow's method
(blocking, so run through ``ctx.tasks``) asks the hub and returns its typed
reply (:mod:`kiosk.hub_client.models`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from kiosk.flows import Flows
from kiosk.i18n import Translator
from kiosk.session import Session
from kiosk.theme import Theme
from kiosk.ui.text import TextRenderer

Done = Callable[[Any], None]
Failed = Callable[[Exception], None]


class Spoken(Protocol):
    """Anything voice guidance can read out (a screen)."""

    def speech(self) -> list[str]: ...


class Navigation(Protocol):
    """Moving between screens by name (``screens.REGISTRY``), and ending the visit."""

    def go(self, name: str, **params: Any) -> None: ...
    def replace(self, name: str, **params: Any) -> None: ...
    def back(self) -> None: ...
    def home(self) -> None: ...
    def end_session(self, completed: bool) -> None: ...
    def offers(self, name: str) -> bool:
        """Whether this kiosk has the screen ``name`` (a service not offered here is
        shown, disabled, with the reason)."""
        ...


class Voice(Protocol):
    def say(self, text: str) -> None:
        """Speak ``text`` (already translated) whether or not voice guidance is on."""
        ...

    def echo(self, label: str) -> None:
        """Echo a choice in voice mode."""
        ...

    def announce(self, screen: Spoken) -> None:
        """Read ``screen`` in voice mode, if it is the one shown."""
        ...

    def key_feedback(self, digit: str, masked: bool) -> None:
        """Entry screens call this for each digit typed: a tone when ``masked`` (unless
        headphones are in), else the digit is echoed in voice mode."""
        ...


class ModeSwitches(Protocol):
    """The switches a person may flip (help screen) and the sound settings."""

    def toggle_elder(self) -> None: ...
    def toggle_voice(self) -> None: ...
    def toggle_contrast(self) -> None: ...
    def toggle_language(self) -> None: ...
    def change_volume(self, delta: int) -> int: ...
    def cycle_speech_rate(self) -> int: ...
    def sound_levels(self) -> tuple[int, int, int]:
        """(volume step 0-based, number of volume steps, speech rate in 字/分)."""
        ...


class Tasks(Protocol):
    def run(self, work: Callable[[], Any], on_done: Done, on_error: Failed) -> None:
        """Run ``work`` off the UI thread; its result or error comes back on it."""
        ...


class DeviceAccess(Protocol):
    def available(self, device: str) -> tuple[bool, str]:
        """Whether ``device`` can serve now, and if not a msgid saying why."""
        ...

    def print_receipt(self, receipt: Any, on_done: Done, on_error: Failed) -> None: ...

    def print_document(
        self, fetch: Callable[[], bytes], title: str, on_done: Done, on_error: Failed
    ) -> None:
        """Fetch a signed PDF (a flow call) and print it on A4, off the UI thread."""
        ...


class Clock(Protocol):
    def today(self) -> date: ...
    def local_now(self) -> datetime:
        """Now in the terminal's time zone (for what is printed)."""
        ...

    def now_text(self) -> str: ...


@dataclass
class TerminalInfo:
    """Who this terminal is, for receipts and the attract screen."""

    name: str
    demo: bool  # simulated devices: the demo helpers (a phone that pays) are offered
    announcement: str | None = None  # pushed by operators, shown on the attract screen


@dataclass(frozen=True, kw_only=True, eq=False)
class ScreenContext:
    """Everything a screen may use; built once per app (see the module docstring)."""

    tr: Translator
    text: TextRenderer
    session: Session
    nav: Navigation
    voice: Voice
    modes: ModeSwitches
    tasks: Tasks
    devices: DeviceAccess
    clock: Clock
    terminal: TerminalInfo
    flows: Flows
    record: Callable[[str, dict[str, Any]], None]
    error_message: Callable[[Exception], str]
    request_redraw: Callable[[], None]
    current_theme: Callable[[], Theme] = field(repr=False)

    @property
    def theme(self) -> Theme:
        """The theme for the person's modes now (长辈, high contrast)."""
        return self.current_theme()

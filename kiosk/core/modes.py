"""The person's modes: 长辈 (large text), voice guidance, high contrast,
language, headphones, volume and speech rate; and the themes they select.

Every mode lasts for the visit and is reset when it ends (kiosk.session).
A switch flipped on the attract screen starts a visit with that mode on.
Changing a mode lays every screen out again; themes are built once per
(长辈, high contrast) pair, since building one computes every size from
millimetres and the display's ppi.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from kiosk.config import KioskConfig
from kiosk.core.navigator import Navigator
from kiosk.i18n import Translator
from kiosk.session import Session
from kiosk.theme import Theme
from kiosk.ui.context import Voice
from kiosk.voice import VOLUME_STEPS, VoiceGuide


class Themes:
    """The theme for a session's modes now, built once per look."""

    def __init__(self, ppi: float, session: Session) -> None:
        self.ppi = ppi
        self.session = session
        self._built: dict[tuple[bool, bool], Theme] = {}

    def current(self) -> Theme:
        modes = self.session.modes
        key = (modes.elder, modes.high_contrast)
        theme = self._built.get(key)
        if theme is None:
            theme = Theme.build(ppi=self.ppi, elder=modes.elder, high_contrast=modes.high_contrast)
            self._built[key] = theme
        return theme


class ModesController:
    """Implements :class:`kiosk.ui.context.ModeSwitches` for screens."""

    def __init__(
        self,
        config: KioskConfig,
        session: Session,
        *,
        tr: Translator,
        guide: VoiceGuide,
        themes: Themes,
        nav: Navigator,
        voice: Voice,
        begin_session: Callable[[], None],
    ) -> None:
        self.config = config
        self.session = session
        self.tr = tr
        self.guide = guide
        self.themes = themes
        self.nav = nav
        self.voice = voice
        self._begin_session = begin_session

    @property
    def theme(self) -> Theme:
        return self.themes.current()

    def set(self, **changes: Any) -> None:
        """Change modes (fields of :class:`kiosk.session.Modes`) and lay out again."""
        s = self.session
        old = s.modes
        s.modes = replace(old, **changes)
        if s.modes.language != old.language:
            self.tr.set_language(s.modes.language)
            self.guide.set_language(s.modes.language)
        self.nav.refresh_all()

    def _serve(self) -> None:
        if not self.session.serving:
            self._begin_session()

    def toggle_elder(self) -> None:
        self._serve()
        elder = not self.session.modes.elder
        voice = self.session.modes.voice or (elder and self.config.speech.voice_in_elder_mode)
        self.set(elder=elder, voice=voice)
        self.voice.say(self.tr("长辈模式已打开") if elder else self.tr("长辈模式已关闭"))
        self.voice.announce(self.nav.screen)

    def toggle_voice(self) -> None:
        self._serve()
        voice = not self.session.modes.voice
        self.set(voice=voice)
        self.voice.say(self.tr("语音播报已打开") if voice else self.tr("语音播报已关闭"))
        if voice:
            self.voice.announce(self.nav.screen)

    def toggle_contrast(self) -> None:
        self._serve()
        self.set(high_contrast=not self.session.modes.high_contrast)

    def toggle_language(self) -> None:
        self._serve()
        self.set(language="en" if self.session.modes.language == "zh_CN" else "zh_CN")
        self.voice.announce(self.nav.screen)

    def set_headphones(self, plugged: bool) -> None:
        """Headphones were plugged in or out (the audio jack's event, or the hook below).

        Few kiosk sound cards report jack sensing, so besides this event hook a
        terminal with a fixed private handset is configured to call it at start.
        Plugging in starts a session with voice guidance on (ADA §707 advisory:
        plugging headphones is the discoverable way into speech mode) and lets
        masked digits be spoken; the flag ends with the session like every mode.
        """
        if plugged and not self.session.serving:
            self._begin_session()
        if self.session.serving:
            self.set(headphones=plugged, voice=self.session.modes.voice or plugged)
            if plugged:
                self.voice.say(self.tr("已连接耳机，语音播报已打开"))
                self.voice.announce(self.nav.screen)

    # --- sound ---------------------------------------------------------------------------------

    def sound_levels(self) -> tuple[int, int, int]:
        """(volume step 0-based, number of volume steps, speech rate in 字/分) for display."""
        return self.guide.volume_step, VOLUME_STEPS, self.guide.rate_cpm

    def change_volume(self, delta: int) -> int:
        """One volume step up (+1) or down (-1); says the new step; returns it (0-based)."""
        step = self.guide.change_volume(delta)
        self.voice.say(self.tr.format("音量{step}", step=step + 1))
        return step

    def cycle_speech_rate(self) -> int:
        """The next of the three speeds, in 字/分 (the screen says which)."""
        return self.guide.cycle_rate()

    def next_speech_rate(self) -> None:
        """The keypad's ``/``: the next speed, and say so."""
        self.guide.cycle_rate()
        self.voice.say(self.tr("语速已调整"))

    def set_default_volume(self, step: int) -> None:
        """Operators set the volume a visit starts with (0-based step)."""
        if not 0 <= step <= VOLUME_STEPS - 1:
            raise ValueError(f"volume step must be 0 to {VOLUME_STEPS - 1}")
        self.guide.default_volume = step
        if not self.session.serving:
            self.guide.set_volume(step)

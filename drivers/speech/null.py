"""``NullSpeech``: the speech interface with no sound, for ``speech.enabled = false``.

It records what would have been said, so voice flows can be tested without
audio (``said`` holds every prompt in order, ``tones`` counts beeps).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType

from drivers.speech.player import DEFAULT_VOLUME_STEP, VOLUME_GAINS
from drivers.speech.rate import DEFAULT_CPM, clamp_cpm
from drivers.speech.service import DEFAULT_CACHE_DIR, DEFAULT_VOICE, DEVICE
from protocol.devices import DeviceHealth, DeviceState


class NullSpeech:
    """Same public interface as :class:`~drivers.speech.SpeechService`; nothing is played.

    Prompts "start" synchronously inside ``say``: ``on_playback_started`` is
    called and ``last_started_at`` set at once, and ``is_speaking()`` is
    always False. Health is ``ONLINE`` after ``start()`` — disabled speech is a
    configuration, not a fault.
    """

    def __init__(
        self,
        voice: str = DEFAULT_VOICE,
        rate_cpm: int = DEFAULT_CPM,
        cache_dir: Path = DEFAULT_CACHE_DIR,
        on_health: Callable[[DeviceHealth], None] | None = None,
        *,
        on_playback_started: Callable[[str], None] | None = None,
        history: int = 1000,
    ) -> None:
        self.on_health = on_health
        self.on_playback_started = on_playback_started
        # Bounded: a kiosk with speech disabled runs for months on this object, and
        # what was said can include (masked) details of earlier people. The runtime
        # keeps none (history=0); tests keep the last ``history`` prompts.
        self.said: list[str] = []
        self._history = history
        self.tones = 0
        self.prewarmed: list[str] = []
        self.last_started_at: float | None = None
        self.last_started_text: str | None = None
        self._voice = voice
        self._cpm = clamp_cpm(rate_cpm)
        self._volume_step = DEFAULT_VOLUME_STEP
        self._health = DeviceHealth(DEVICE, DeviceState.OFFLINE, detail="not started")

    def start(self) -> None:
        self._set_health(DeviceState.ONLINE, "speech disabled")

    def close(self) -> None:
        self._set_health(DeviceState.OFFLINE, "closed")

    def __enter__(self) -> NullSpeech:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def say(self, text: str, *, interrupt: bool = True) -> None:
        self.say_sequence([text], interrupt=interrupt)

    def say_sequence(self, texts: Iterable[str], *, interrupt: bool = True) -> None:
        for text in (t.strip() for t in texts):
            if not text:
                continue
            if self._history:
                self.said.append(text)
                if len(self.said) > self._history:
                    del self.said[: len(self.said) - self._history]
            self.last_started_at = time.monotonic()
            self.last_started_text = text
            if self.on_playback_started is not None:
                self.on_playback_started(text)

    def stop(self) -> None:
        """Nothing plays, so there is nothing to stop."""

    def play_tone(self) -> None:
        self.tones += 1

    def is_speaking(self) -> bool:
        return False

    @property
    def rate_cpm(self) -> int:
        return self._cpm

    @property
    def voice(self) -> str:
        return self._voice

    @property
    def volume_step(self) -> int:
        return self._volume_step

    def set_rate(self, cpm: int) -> None:
        self._cpm = clamp_cpm(cpm)

    def set_voice(self, voice: str) -> None:
        self._voice = voice

    def set_volume_step(self, step: int) -> None:
        if not 0 <= step < len(VOLUME_GAINS):
            raise ValueError(f"volume step {step} outside 0..{len(VOLUME_GAINS) - 1}")
        self._volume_step = step

    def reset(self, *, rate_cpm: int = DEFAULT_CPM, voice: str = DEFAULT_VOICE) -> None:
        self._voice = voice
        self._cpm = clamp_cpm(rate_cpm)
        self._volume_step = DEFAULT_VOLUME_STEP

    def prewarm(self, texts: Iterable[str]) -> None:
        self.prewarmed.extend(t for t in texts if t.strip())

    def health(self) -> DeviceHealth:
        return self._health

    def _set_health(self, state: DeviceState, detail: str) -> None:
        new = DeviceHealth(DEVICE, state, detail=detail)
        changed = not new.same_condition(self._health)
        self._health = new
        if changed and self.on_health is not None:
            self.on_health(new)

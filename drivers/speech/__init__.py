"""Speech synthesis for voice guidance (DESIGN §4, specs/speech.md, accessibility spec §5).

Public face: :class:`SpeechService` (espeak-ng → WAV → ``pygame.mixer``),
:class:`NullSpeech` (``speech.enabled = false``; records prompts), the
:class:`Speech` protocol both satisfy, rate steps and voices per language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from drivers.speech.null import NullSpeech
from drivers.speech.player import DEFAULT_VOLUME_STEP, VOLUME_GAINS
from drivers.speech.rate import DEFAULT_CPM, RATE_STEPS_CPM, espeak_rate_for_cpm
from drivers.speech.service import DEFAULT_VOICE, SpeechService, SpeechStats
from drivers.speech.synth import EspeakCli, SynthesisError
from protocol.devices import DeviceHealth

# espeak-ng voice per UI language (kiosk.i18n.LANGUAGES). Plain "cmn" reads many
# characters as English-spelled pinyin (espeak-ng #1236, #1028); see specs/speech.md.
VOICE_FOR_LANGUAGE: dict[str, str] = {"zh_CN": DEFAULT_VOICE, "en": "en"}


def voice_for_language(language: str) -> str:
    """espeak-ng voice for a UI language code; Mandarin for anything unknown."""
    return VOICE_FOR_LANGUAGE.get(language, DEFAULT_VOICE)


class Speech(Protocol):
    """What the kiosk needs from speech; both implementations satisfy it."""

    on_playback_started: Callable[[str], None] | None
    last_started_at: float | None

    def start(self) -> None: ...
    def close(self) -> None: ...
    def say(self, text: str, *, interrupt: bool = True) -> None: ...
    def say_sequence(self, texts: Iterable[str], *, interrupt: bool = True) -> None: ...
    def stop(self) -> None: ...
    def play_tone(self) -> None: ...
    def is_speaking(self) -> bool: ...
    def set_rate(self, cpm: int) -> None: ...
    def set_voice(self, voice: str) -> None: ...
    def set_volume_step(self, step: int) -> None: ...
    def reset(self, *, rate_cpm: int = DEFAULT_CPM, voice: str = DEFAULT_VOICE) -> None: ...
    def prewarm(self, texts: Iterable[str]) -> None: ...
    def health(self) -> DeviceHealth: ...


__all__ = [
    "DEFAULT_CPM",
    "DEFAULT_VOICE",
    "DEFAULT_VOLUME_STEP",
    "RATE_STEPS_CPM",
    "VOICE_FOR_LANGUAGE",
    "VOLUME_GAINS",
    "EspeakCli",
    "NullSpeech",
    "Speech",
    "SpeechService",
    "SpeechStats",
    "SynthesisError",
    "espeak_rate_for_cpm",
    "voice_for_language",
]

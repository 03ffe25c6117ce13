"""Playback through ``pygame.mixer`` only (drivers never draw, DESIGN §2).

Speech and tones share one reserved mixer channel: a new prompt or a tone
replaces whatever was playing, which is exactly the interrupt rule of
accessibility spec §5 ("speech stops ... when new speech starts").
"""

from __future__ import annotations

import math
from array import array
from pathlib import Path
from typing import TYPE_CHECKING

from drivers.errors import DeviceError

if TYPE_CHECKING:
    import pygame.mixer

# Five volume steps (spec §5: "step controls"). Step 0 is quiet but never silent, so a
# voice-mode user cannot mute the only channel that tells them how to undo it. Steps are
# ~3-4 dB apart; DEFAULT_VOLUME_STEP is the per-user reset level (EN 301 549 §5.1.3.13).
VOLUME_GAINS: tuple[float, ...] = (0.2, 0.32, 0.5, 0.7, 1.0)
DEFAULT_VOLUME_STEP = 2

# Tone for digits typed into masked fields (spec §5: tones, not spoken digits).
TONE_HZ = 880.0
TONE_MS = 70
# 5 ms ramps avoid an audible click at start and end of the beep.
TONE_RAMP_MS = 5
# espeak-ng's output format; used when the mixer is not initialised yet.
_MIXER_FREQUENCY = 22050
# 512 frames at 22.05 kHz ≈ 23 ms device latency: part of the ≤ 30 ms cached-start budget.
_MIXER_BUFFER = 512


class PlaybackError(DeviceError):
    """The audio device could not be opened or a sound could not be loaded."""


class MixerPlayer:
    """One reserved ``pygame.mixer`` channel for speech and tones.

    ``open()`` initialises the mixer unless the app already did (then its
    format is kept and sounds are converted to it by pygame).
    """

    def __init__(self) -> None:
        self._channel: pygame.mixer.Channel | None = None
        self._owns_mixer = False
        self._gain = VOLUME_GAINS[DEFAULT_VOLUME_STEP]
        self._tone: pygame.mixer.Sound | None = None

    def open(self) -> None:
        """Open the audio device; raises :class:`PlaybackError` (e.g. no sound card)."""
        import pygame
        import pygame.mixer

        try:
            if pygame.mixer.get_init() is None:
                pygame.mixer.init(
                    frequency=_MIXER_FREQUENCY, size=-16, channels=1, buffer=_MIXER_BUFFER
                )
                self._owns_mixer = True
            # Reserve channel 0 so Sound.play() elsewhere in the app never steals it.
            pygame.mixer.set_reserved(1)
            self._channel = pygame.mixer.Channel(0)
            self._tone = self._make_tone()
        except pygame.error as exc:
            raise PlaybackError(f"audio device unavailable: {exc}") from exc

    def close(self) -> None:
        """Stop playback and release the mixer if this player initialised it."""
        import pygame.mixer

        if self._channel is not None:
            self._channel.stop()
        self._channel = None
        if self._owns_mixer:
            pygame.mixer.quit()
            self._owns_mixer = False

    @property
    def is_open(self) -> bool:
        return self._channel is not None

    def load(self, wav: Path) -> pygame.mixer.Sound:
        """Load a WAV into memory (converted to the mixer's format)."""
        import pygame
        import pygame.mixer

        try:
            return pygame.mixer.Sound(str(wav))
        except (pygame.error, OSError) as exc:
            raise PlaybackError(f"cannot load {wav.name}: {exc}") from exc

    def play(self, sound: pygame.mixer.Sound) -> None:
        """Start ``sound`` now, replacing whatever the speech channel was playing."""
        if self._channel is None:
            raise PlaybackError("player is not open")
        self._channel.set_volume(self._gain)
        self._channel.play(sound)

    def play_tone(self) -> None:
        """Play the short masked-field beep, replacing current speech."""
        if self._tone is not None:
            self.play(self._tone)

    def stop(self) -> None:
        if self._channel is not None:
            self._channel.stop()

    def busy(self) -> bool:
        return self._channel is not None and bool(self._channel.get_busy())

    def set_gain(self, gain: float) -> None:
        """Set the channel gain 0.0..1.0; applies to the sound playing now too."""
        self._gain = gain
        if self._channel is not None:
            self._channel.set_volume(gain)

    @staticmethod
    def _make_tone() -> pygame.mixer.Sound:
        import pygame.mixer

        init = pygame.mixer.get_init()
        if init is None:
            raise PlaybackError("mixer not initialised")
        frequency, size, channels = init
        if abs(size) != 16:
            # Every SDL backend we deploy on runs 16-bit; fail loudly rather than hiss.
            raise PlaybackError(f"unsupported mixer sample size {size}")
        count = frequency * TONE_MS // 1000
        ramp = max(1, frequency * TONE_RAMP_MS // 1000)
        samples = array("h")
        for i in range(count):
            envelope = min(1.0, i / ramp, (count - 1 - i) / ramp)
            value = int(12000 * envelope * math.sin(2 * math.pi * TONE_HZ * i / frequency))
            samples.extend([value] * channels)
        return pygame.mixer.Sound(buffer=samples.tobytes())

"""Voice guidance (语音引导): what the kiosk says, and when.

With voice guidance on, every screen speaks its title, instruction, content
and options with their key numbers, every choice is echoed, and ``*``
repeats. With it off, the kiosk still speaks warnings and errors, since
a person who cannot read must hear that something went wrong. Any action
interrupts speech (a new utterance replaces the current one).
"""

from __future__ import annotations

from collections import deque

from drivers.speech import RATE_STEPS_CPM, Speech, voice_for_language
from protocol.commands import VOLUME_LEVELS

# Steps 0…4 here; people hear them, and operators set the default, as 1…5.
VOLUME_STEPS = VOLUME_LEVELS


class VoiceGuide:
    def __init__(self, speech: Speech, default_rate_cpm: int, default_volume: int = 2) -> None:
        self.speech = speech
        self.default_rate_cpm = default_rate_cpm
        self.default_volume = default_volume
        self.volume_step = default_volume
        self.rate_cpm = default_rate_cpm
        self.history: deque[str] = deque(maxlen=200)  # what was said this session (tests, audit)
        self._last_announcement: list[str] = []

    def _say(self, texts: list[str]) -> None:
        texts = [t for t in texts if t]
        if not texts:
            return
        self.history.extend(texts)
        if len(texts) == 1:
            self.speech.say(texts[0])
        else:
            self.speech.say_sequence(texts)

    def announce(self, parts: list[str], voice_on: bool) -> None:
        """A screen appeared (or changed page): read it when voice guidance is on."""
        self._last_announcement = parts
        if voice_on:
            self._say(parts)

    def repeat(self) -> None:
        self._say(self._last_announcement)

    def echo(self, label: str, voice_on: bool) -> None:
        """Echo a tap or key so the person knows what they chose."""
        if voice_on:
            self._say([label])

    def alert(self, text: str) -> None:
        """Errors and warnings are spoken whether or not guidance is on."""
        self._say([text])

    def tone(self) -> None:
        """A digit typed into a masked field: a tone, never the digit."""
        self.speech.play_tone()

    def stop(self) -> None:
        self.speech.stop()

    def change_volume(self, delta: int) -> int:
        self.volume_step = max(0, min(VOLUME_STEPS - 1, self.volume_step + delta))
        self.speech.set_volume_step(self.volume_step)
        return self.volume_step

    def set_volume(self, step: int) -> None:
        self.volume_step = max(0, min(VOLUME_STEPS - 1, step))
        self.speech.set_volume_step(self.volume_step)

    def cycle_rate(self) -> int:
        """Slower → default → faster, three speeds around the default."""
        steps = sorted(RATE_STEPS_CPM)
        nxt = (
            steps[(steps.index(self.rate_cpm) + 1) % len(steps)]
            if self.rate_cpm in steps
            else steps[0]
        )
        self.rate_cpm = nxt
        self.speech.set_rate(nxt)
        return nxt

    def set_language(self, language: str) -> None:
        self.speech.set_voice(voice_for_language(language))

    def reset(self) -> None:
        """End of a session: volume, rate and voice back to defaults, history forgotten."""
        self.speech.stop()
        self.volume_step = self.default_volume
        self.rate_cpm = self.default_rate_cpm
        self.speech.reset(rate_cpm=self.default_rate_cpm)
        self.speech.set_volume_step(self.default_volume)
        self.history.clear()
        self._last_announcement = []

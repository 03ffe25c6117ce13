"""``SpeechService``: non-blocking, interruptible, cached voice guidance.

Threads: the caller (the App loop) only enqueues and returns. One worker
thread owns the synthesis engine and does everything slow: it synthesises
one utterance at a time (specs/speech.md), loads WAVs, starts playback and
waits for it to end. ``pygame.mixer`` plays on SDL's audio thread, so a
``stop()`` from the App loop silences speech at once.

Interrupt rule (accessibility spec §5, EN 301 549 §5.1.3.5): every ``say``
(unless ``interrupt=False``), ``stop``, ``play_tone`` and language switch
bumps a *generation* number; the worker checks it under the lock before it
starts anything, so superseded prompts never play.

Failures never reach the caller: the kiosk keeps working silently and the
service reports ``HWERROR`` through ``on_health`` (and ``ONLINE`` again when
synthesis recovers).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from drivers.errors import DeviceError
from drivers.speech.cache import DiskCache, MemoryCache, PromptKey
from drivers.speech.player import DEFAULT_VOLUME_STEP, VOLUME_GAINS, MixerPlayer
from drivers.speech.rate import DEFAULT_CPM, clamp_cpm, espeak_rate_for_cpm
from drivers.speech.synth import EspeakCli
from protocol.devices import DeviceHealth, DeviceState

if TYPE_CHECKING:
    import pygame.mixer

log = logging.getLogger(__name__)

DEVICE = "speech"
DEFAULT_VOICE = "cmn-latn-pinyin"
DEFAULT_CACHE_DIR = Path("var/speech-cache")
# Pause between sentences of a sequence (spec §5: "with pauses between sentences").
SENTENCE_PAUSE_S = 0.35
# How often the worker re-checks the channel while a prompt plays.
_POLL_S = 0.02
# Bound on waiting for a prompt to end, beyond its own length (device stalls).
_PLAY_SLACK_S = 2.0


@dataclass(frozen=True)
class _Job:
    generation: int
    texts: tuple[str, ...]
    voice: str
    rate: int


@dataclass
class SpeechStats:
    """Counters for tests and the bench: how each prompt was obtained."""

    synthesized: int = 0
    memory_hits: int = 0
    disk_hits: int = 0
    failures: int = 0


class SpeechService:
    """Voice guidance: espeak-ng synthesis, ``pygame.mixer`` playback, prompt caches.

    ``voice`` is an espeak-ng voice (``cmn-latn-pinyin`` for Mandarin, ``en``
    for English; see :func:`drivers.speech.voice_for_language`), ``rate_cpm``
    the speaking rate in Chinese characters per minute (see
    :mod:`drivers.speech.rate`), ``cache_dir`` where fixed prompts are kept.
    ``on_health`` is called on every change of condition, from the thread that
    noticed it. ``on_playback_started(text)`` is called on the worker thread the
    moment a prompt starts playing; keep it short (post an event).

    Lifecycle: ``start()`` … ``close()``, or use the service as a context
    manager. ``stop()`` stops *speaking*, it does not shut the service down.
    ``say`` before ``start()`` or after ``close()`` is ignored; ``prewarm``
    before ``start()`` is kept and runs once the worker is up.
    Methods never raise because of the engine or the audio device; they raise
    ``ValueError`` only for arguments out of range.
    """

    def __init__(
        self,
        voice: str = DEFAULT_VOICE,
        rate_cpm: int = DEFAULT_CPM,
        cache_dir: Path = DEFAULT_CACHE_DIR,
        on_health: Callable[[DeviceHealth], None] | None = None,
        *,
        on_playback_started: Callable[[str], None] | None = None,
        engine: EspeakCli | None = None,
        sentence_pause_s: float = SENTENCE_PAUSE_S,
    ) -> None:
        self.on_health = on_health
        self.on_playback_started = on_playback_started
        self.stats = SpeechStats()
        self.last_started_at: float | None = None  # time.monotonic() of the last start
        self.last_started_text: str | None = None
        self._engine = engine or EspeakCli()
        self._engine_id = ""
        self._voice = voice
        self._cpm = clamp_cpm(rate_cpm)
        self._pause_s = sentence_pause_s
        self._disk = DiskCache(Path(cache_dir))
        self._memory = MemoryCache()
        self._player = MixerPlayer()
        self._volume_step = DEFAULT_VOLUME_STEP
        self._fixed_prompts: list[str] = []
        self._cond = threading.Condition()
        self._jobs: deque[_Job] = deque()
        self._warm: deque[tuple[str, str, int]] = deque()  # (text, voice, rate)
        self._generation = 0
        # Generation of the job the worker is synthesising or playing, None when idle.
        self._active: int | None = None
        self._closing = False
        self._worker: threading.Thread | None = None
        self._health = DeviceHealth(DEVICE, DeviceState.OFFLINE, detail="not started")

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Open the caches and the audio device, probe the engine, start the worker.

        Never raises for device trouble: reports ``HWERROR`` and runs silently.
        """
        if self._worker is not None:
            return
        problems: list[str] = []
        try:
            self._disk.open()
        except OSError as exc:
            problems.append(f"cache dir unusable: {exc}")
        try:
            self._engine_id = self._engine.version()
        except DeviceError as exc:
            problems.append(str(exc))
        try:
            self._player.open()
            self._player.set_gain(VOLUME_GAINS[self._volume_step])
        except DeviceError as exc:
            problems.append(str(exc))
        self._closing = False
        self._worker = threading.Thread(target=self._run, name="speech", daemon=True)
        self._worker.start()
        if problems:
            log.error("speech unavailable: %s", "; ".join(problems))
            self._set_health(DeviceState.HWERROR, "; ".join(problems))
        else:
            self._set_health(DeviceState.ONLINE, self._engine_id)

    def close(self) -> None:
        """Stop speaking, end the worker (bounded wait) and release the audio device."""
        with self._cond:
            self._closing = True
            self._interrupt_locked()
            self._warm.clear()
            self._cond.notify_all()
        if self._worker is not None:
            self._worker.join(timeout=5.0)
            self._worker = None
        self._player.close()
        self._set_health(DeviceState.OFFLINE, "closed")

    def __enter__(self) -> SpeechService:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- speaking --------------------------------------------------------------------------

    def say(self, text: str, *, interrupt: bool = True) -> None:
        """Speak ``text``; returns at once. Interrupts current speech unless ``interrupt=False``
        (then it is spoken after what is playing or queued)."""
        self.say_sequence([text], interrupt=interrupt)

    def say_sequence(self, texts: Iterable[str], *, interrupt: bool = True) -> None:
        """Speak several sentences in order with a short pause between them; returns at once."""
        items = tuple(t for t in (s.strip() for s in texts) if t)
        with self._cond:
            if interrupt:
                self._interrupt_locked()
            if not items or self._closing or self._worker is None:
                return  # not started (or closed): nothing would play it
            rate = espeak_rate_for_cpm(self._cpm)
            self._jobs.append(_Job(self._generation, items, self._voice, rate))
            self._cond.notify_all()

    def stop(self) -> None:
        """Stop speaking now and drop queued prompts (user action, EN 301 549 §5.1.3.5)."""
        with self._cond:
            self._interrupt_locked()
            self._cond.notify_all()

    def play_tone(self) -> None:
        """Beep for a digit typed into a masked field; interrupts speech (spec §5)."""
        with self._cond:
            self._interrupt_locked()
            if self._player.is_open:
                self._player.play_tone()
            self._cond.notify_all()

    def is_speaking(self) -> bool:
        """True while a prompt is queued, being synthesised, or playing."""
        with self._cond:
            current = self._active is not None and not self._superseded(self._active)
            return bool(self._jobs) or current or self._player.busy()

    # -- settings --------------------------------------------------------------------------

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
        """Set the rate in Chinese characters per minute (clamped); applies to the next prompt."""
        with self._cond:
            self._cpm = clamp_cpm(cpm)
            self._requeue_fixed_locked()

    def set_voice(self, voice: str) -> None:
        """Switch the espeak-ng voice (language switch); stops speech in the old language
        (EN 301 549 §5.1.3.14: speech in the language of the screen)."""
        with self._cond:
            if voice == self._voice:
                return
            self._voice = voice
            self._interrupt_locked()
            self._requeue_fixed_locked()
            self._cond.notify_all()

    def set_volume_step(self, step: int) -> None:
        """Set the volume step 0 (quietest, not silent) .. 4 (loudest); applies immediately.

        Raises ``ValueError`` for a step outside ``0..len(VOLUME_GAINS)-1``.
        """
        if not 0 <= step < len(VOLUME_GAINS):
            raise ValueError(f"volume step {step} outside 0..{len(VOLUME_GAINS) - 1}")
        with self._cond:
            self._volume_step = step
            self._player.set_gain(VOLUME_GAINS[step])

    def reset(self, *, rate_cpm: int = DEFAULT_CPM, voice: str = DEFAULT_VOICE) -> None:
        """End of a session: stop speaking, default volume/rate/voice, forget private audio."""
        self.set_voice(voice)
        self.stop()
        self.set_rate(rate_cpm)
        self.set_volume_step(DEFAULT_VOLUME_STEP)
        with self._cond:
            self._memory.forget_private()

    def prewarm(self, texts: Iterable[str]) -> None:
        """Synthesise fixed prompts in the background (disk-cached; spoken prompts go first).

        The texts are remembered and re-synthesised after a rate or voice change.
        """
        with self._cond:
            for raw in texts:
                text = raw.strip()
                if text and text not in self._fixed_prompts:
                    self._fixed_prompts.append(text)
            self._requeue_fixed_locked()
            self._cond.notify_all()

    def health(self) -> DeviceHealth:
        """The latest health snapshot (``OFFLINE`` before ``start()`` and after ``close()``)."""
        return self._health

    # -- internals (callers hold self._cond where the name says _locked) --------------------

    def _interrupt_locked(self) -> None:
        self._generation += 1
        self._jobs.clear()
        self._player.stop()

    def _requeue_fixed_locked(self) -> None:
        rate = espeak_rate_for_cpm(self._cpm)
        self._warm.clear()
        for text in self._fixed_prompts:
            self._warm.append((text, self._voice, rate))

    def _run(self) -> None:
        while True:
            job: _Job | None = None
            warm: tuple[str, str, int] | None = None
            with self._cond:
                while not (self._closing or self._jobs or self._warm):
                    self._cond.wait()
                if self._closing:
                    return
                if self._jobs:
                    job = self._jobs.popleft()
                    self._active = job.generation
                else:
                    warm = self._warm.popleft()
            try:
                if job is not None:
                    self._speak(job)
                elif warm is not None:
                    # The key is built here: the engine id is known only after start().
                    self._sound_for(PromptKey(*warm, self._engine_id), private=False)
            except Exception:  # supervision point (STYLE: broad except only in driver threads)
                log.exception("speech worker: unexpected failure")
                self._set_health(DeviceState.HWERROR, "speech worker failure")
            finally:
                with self._cond:
                    self._active = None

    def _superseded(self, generation: int) -> bool:
        return generation != self._generation or self._closing

    def _speak(self, job: _Job) -> None:
        for index, text in enumerate(job.texts):
            if index:
                with self._cond:
                    self._cond.wait_for(lambda: self._superseded(job.generation), self._pause_s)
            with self._cond:
                if self._superseded(job.generation):
                    return
            key = PromptKey(text, job.voice, job.rate, self._engine_id)
            sound = self._sound_for(key, private=key.text not in self._fixed_prompts)
            if sound is None:
                return
            with self._cond:
                if self._superseded(job.generation) or not self._player.is_open:
                    return
                self._player.play(sound)
                self.last_started_at = time.monotonic()
                self.last_started_text = text
            self._notify_started(text)
            deadline = time.monotonic() + sound.get_length() + _PLAY_SLACK_S
            with self._cond:
                while (
                    self._player.busy()
                    and not self._superseded(job.generation)
                    and time.monotonic() < deadline
                ):
                    self._cond.wait(_POLL_S)

    def _sound_for(self, key: PromptKey, *, private: bool) -> pygame.mixer.Sound | None:
        """Memory → disk → synthesis. Returns None (health reported) when it cannot."""
        with self._cond:
            sound = self._memory.get(key)
        if sound is not None:
            self.stats.memory_hits += 1
            return sound
        if not self._player.is_open:
            return None  # silent mode: synthesising audio nobody can hear is wasted work
        cached = self._disk.path(key)
        try:
            if cached.exists():
                sound = self._player.load(cached)
                self.stats.disk_hits += 1
                # Pruning removes the least recently *used* prompts first.
                os.utime(cached)
            else:
                sound = self._synthesize(key, cached, private=private)
        except (DeviceError, OSError) as exc:
            self.stats.failures += 1
            log.error("speech synthesis failed: %s", exc)
            self._set_health(DeviceState.HWERROR, str(exc))
            return None
        with self._cond:
            self._memory.put(key, sound, private=private)
        self._set_health(DeviceState.ONLINE, self._engine_id)
        return sound

    def _synthesize(self, key: PromptKey, cached: Path, *, private: bool) -> pygame.mixer.Sound:
        if not self._engine_id:
            # The start probe failed; try again so an engine fixed since then is picked up.
            self._engine_id = self._engine.version()
        self.stats.synthesized += 1
        if not private:
            return self._player.load(self._engine.synthesize(key.text, key.voice, key.rate, cached))
        # Private prompts go to disk only for the moment it takes to load them.
        target = self._disk.private_dir / cached.name
        try:
            return self._player.load(self._engine.synthesize(key.text, key.voice, key.rate, target))
        finally:
            target.unlink(missing_ok=True)

    def _notify_started(self, text: str) -> None:
        if self.on_playback_started is None:
            return
        try:
            self.on_playback_started(text)
        except Exception:  # the app's hook failing is not a speech fault; keep speaking
            log.exception("on_playback_started hook failed")

    def _set_health(self, state: DeviceState, detail: str) -> None:
        new = DeviceHealth(DEVICE, state, detail=detail)
        with self._cond:
            changed = not new.same_condition(self._health)
            if changed:
                self._health = new
        if not changed or self.on_health is None:
            return
        try:
            self.on_health(new)
        except Exception:  # supervision point: a failing hook must not raise into say()/start()
            log.exception("on_health hook failed")

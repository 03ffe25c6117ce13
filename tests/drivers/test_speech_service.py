"""SpeechService with the real espeak-ng and pygame.mixer on SDL's dummy audio driver.

The dummy driver has no sound card but consumes audio in real time, so a
channel stays busy for the sound's length: interrupts and ``is_speaking``
are observable (checked on this machine: a 6.6 s WAV kept the channel busy
6.64 s).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from drivers.speech import EspeakCli, NullSpeech, Speech, SpeechService
from protocol.devices import DeviceHealth, DeviceState
from tests.tools import require_tool

LONG = "请把身份证放在读卡区，听到提示音后取回证件。"  # ~6 s of audio
OTHER = "您的社保缴费记录查询成功，请核对后打印回单。"
SHORT = ["第一句。", "第二句。", "第三句。"]


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


class Recorder:
    """Collects playback starts and health reports from the worker thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started: list[tuple[str, float]] = []
        self.health: list[DeviceHealth] = []

    def on_started(self, text: str) -> None:
        with self.lock:
            self.started.append((text, time.monotonic()))

    def on_health(self, health: DeviceHealth) -> None:
        with self.lock:
            self.health.append(health)

    @property
    def texts(self) -> list[str]:
        with self.lock:
            return [text for text, _ in self.started]

    @property
    def states(self) -> list[DeviceState]:
        with self.lock:
            return [h.state for h in self.health]


@pytest.fixture(autouse=True)
def dummy_audio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")


@pytest.fixture(autouse=True, scope="module")
def espeak_ng() -> None:
    """The real engine; without it every test here would fail on a SynthesisError."""
    require_tool("espeak-ng")


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def make_service(cache_dir: Path, recorder: Recorder, **kwargs: object) -> SpeechService:
    return SpeechService(
        cache_dir=cache_dir,
        on_health=recorder.on_health,
        on_playback_started=recorder.on_started,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def speech(tmp_path: Path, recorder: Recorder) -> Iterator[SpeechService]:
    with make_service(tmp_path / "cache", recorder) as service:
        yield service


def test_say_plays_and_reports_online(speech: SpeechService, recorder: Recorder) -> None:
    assert speech.health().state is DeviceState.ONLINE
    assert recorder.states == [DeviceState.ONLINE]
    speech.say(LONG)
    assert wait_until(lambda: recorder.texts == [LONG])
    assert speech.is_speaking()
    assert speech.last_started_text == LONG
    assert speech.last_started_at is not None


def test_stop_silences_at_once(speech: SpeechService, recorder: Recorder) -> None:
    speech.say(LONG)
    assert wait_until(lambda: bool(recorder.texts))
    time.sleep(0.2)
    speech.stop()
    # stop() is synchronous on the mixer channel: no polling needed.
    assert not speech.is_speaking()


def test_new_say_interrupts_current(speech: SpeechService, recorder: Recorder) -> None:
    speech.say(LONG)
    assert wait_until(lambda: recorder.texts == [LONG])
    speech.say(OTHER)
    assert wait_until(lambda: recorder.texts == [LONG, OTHER])
    first_start = recorder.started[0][1]
    second_start = recorder.started[1][1]
    # LONG is ~6 s; OTHER must not have waited for it to finish.
    assert second_start - first_start < 2.0
    assert speech.is_speaking()


def test_say_without_interrupt_waits_its_turn(speech: SpeechService, recorder: Recorder) -> None:
    speech.say(SHORT[0])
    speech.say(SHORT[1], interrupt=False)
    assert wait_until(lambda: recorder.texts == SHORT[:2], timeout=8.0)
    (_, t0), (_, t1) = recorder.started
    assert t1 - t0 > 0.5  # the first prompt (~1 s of audio) played to its end


def test_sequence_in_order_with_pauses(speech: SpeechService, recorder: Recorder) -> None:
    speech.say_sequence(SHORT)
    assert wait_until(lambda: recorder.texts == SHORT, timeout=10.0)
    starts = [t for _, t in recorder.started]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    # Each sentence is ~1 s of audio plus a 0.35 s pause before the next.
    assert all(gap > 0.6 for gap in gaps), gaps
    assert wait_until(lambda: not speech.is_speaking(), timeout=5.0)


def test_stop_abandons_rest_of_sequence(speech: SpeechService, recorder: Recorder) -> None:
    speech.say_sequence([LONG, OTHER])
    assert wait_until(lambda: recorder.texts == [LONG])
    speech.stop()
    time.sleep(0.6)
    assert recorder.texts == [LONG]
    assert not speech.is_speaking()


def test_cache_hit_does_not_resynthesise(speech: SpeechService, recorder: Recorder) -> None:
    speech.say(OTHER)
    assert wait_until(lambda: len(recorder.texts) == 1)
    speech.say(OTHER)
    assert wait_until(lambda: len(recorder.texts) == 2)
    assert speech.stats.synthesized == 1
    assert speech.stats.memory_hits >= 1
    # A different rate is a different prompt.
    speech.set_rate(220)
    speech.say(OTHER)
    assert wait_until(lambda: len(recorder.texts) == 3)
    assert speech.stats.synthesized == 2


def test_prewarm_survives_restart(tmp_path: Path, recorder: Recorder) -> None:
    cache = tmp_path / "cache"
    with make_service(cache, recorder) as first:
        first.prewarm(SHORT)
        assert wait_until(lambda: first.stats.synthesized == 3)
    assert len(list(cache.glob("*.wav"))) == 3
    with make_service(cache, recorder) as second:
        second.say(SHORT[1])
        assert wait_until(lambda: recorder.texts == [SHORT[1]])
        assert second.stats.synthesized == 0
        assert second.stats.disk_hits == 1


def test_private_prompts_never_stay_on_disk(
    speech: SpeechService, recorder: Recorder, tmp_path: Path
) -> None:
    private = "张三，您本次缴费一百二十元。"
    speech.say(private)
    assert wait_until(lambda: recorder.texts == [private])
    cache = tmp_path / "cache"
    assert list(cache.glob("*.wav")) == []
    assert list((cache / "private").iterdir()) == []
    # Ending the session forgets it in memory too: saying it again synthesises again.
    speech.reset()
    speech.say(private)
    assert wait_until(lambda: recorder.texts == [private, private])
    assert speech.stats.synthesized == 2


def test_missing_engine_reports_hwerror_and_stays_silent(
    tmp_path: Path, recorder: Recorder
) -> None:
    engine = EspeakCli(str(tmp_path / "bin" / "espeak-ng"))
    with make_service(tmp_path / "cache", recorder, engine=engine) as speech:
        assert speech.health().state is DeviceState.HWERROR
        assert recorder.states == [DeviceState.HWERROR]
        speech.say(LONG)  # must not raise
        speech.say_sequence(SHORT)
        assert wait_until(lambda: speech.stats.failures >= 1)
        assert wait_until(lambda: not speech.is_speaking())
        assert recorder.texts == []


def test_bad_voice_then_recovery(speech: SpeechService, recorder: Recorder) -> None:
    speech.set_voice("nosuchvoice")
    speech.say(LONG)
    assert wait_until(lambda: speech.health().state is DeviceState.HWERROR)
    speech.set_voice("cmn-latn-pinyin")
    speech.say(LONG)
    assert wait_until(lambda: recorder.texts == [LONG])
    assert speech.health().state is DeviceState.ONLINE
    assert recorder.states == [DeviceState.ONLINE, DeviceState.HWERROR, DeviceState.ONLINE]


def test_english_voice(speech: SpeechService, recorder: Recorder) -> None:
    speech.set_voice("en")
    speech.say("Please place your ID card on the reader.")
    assert wait_until(lambda: len(recorder.texts) == 1)
    assert speech.health().state is DeviceState.ONLINE


def test_no_audio_device_reports_hwerror(
    tmp_path: Path, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pygame.mixer

    if pygame.mixer.get_init() is not None:
        pygame.mixer.quit()  # another test's mixer would hide the failure
    monkeypatch.setenv("SDL_AUDIODRIVER", "no-such-driver")
    with make_service(tmp_path / "cache", recorder) as speech:
        assert speech.health().state is DeviceState.HWERROR
        assert "audio" in speech.health().detail
        speech.say(LONG)
        speech.play_tone()
        speech.set_volume_step(3)
        time.sleep(0.2)
        assert recorder.texts == []
        assert not speech.is_speaking()


def test_volume_steps(speech: SpeechService) -> None:
    import pygame.mixer

    channel = pygame.mixer.Channel(0)
    speech.set_volume_step(0)
    quiet = channel.get_volume()
    speech.set_volume_step(4)
    loud = channel.get_volume()
    assert 0 < quiet < loud == pytest.approx(1.0, abs=0.01)
    with pytest.raises(ValueError):
        speech.set_volume_step(5)
    speech.reset()
    assert speech.volume_step == 2


def test_tone_interrupts_speech(speech: SpeechService, recorder: Recorder) -> None:
    speech.say(LONG)
    assert wait_until(lambda: bool(recorder.texts))
    speech.play_tone()
    assert speech.is_speaking()  # the beep is playing
    # The 70 ms tone ends long before the 6 s prompt would have.
    assert wait_until(lambda: not speech.is_speaking(), timeout=1.0)


def test_null_speech_records() -> None:
    started: list[str] = []
    with NullSpeech(on_playback_started=started.append) as speech:
        assert speech.health().state is DeviceState.ONLINE
        speech.say("请插卡。")
        speech.say_sequence(["第一句。", " ", "第二句。"])
        speech.play_tone()
        speech.prewarm(["欢迎。"])
        assert speech.said == ["请插卡。", "第一句。", "第二句。"]
        assert started == speech.said
        assert speech.tones == 1
        assert not speech.is_speaking()
        with pytest.raises(ValueError):
            speech.set_volume_step(-1)


def test_interrupt_storm_ends_with_the_last_prompt(
    speech: SpeechService, recorder: Recorder
) -> None:
    # A person tapping through screens quickly: only the latest prompt matters.
    texts = [f"第{n}项，请选择。" for n in range(30)]
    for text in texts:
        speech.say(text)
    assert wait_until(lambda: recorder.texts[-1:] == [texts[-1]], timeout=10.0)
    # Superseded prompts were dropped before synthesis, not played one after another.
    assert len(recorder.texts) < 10
    assert speech.stats.synthesized < 10
    assert speech.is_speaking()


def test_failing_hooks_do_not_break_speech(tmp_path: Path) -> None:
    def broken(_: object) -> None:
        raise RuntimeError("app bug")

    with SpeechService(
        cache_dir=tmp_path / "cache", on_health=broken, on_playback_started=broken
    ) as speech:
        speech.say(SHORT[0])
        assert wait_until(lambda: speech.last_started_text == SHORT[0])
        assert speech.health().state is DeviceState.ONLINE


def test_say_before_start_is_ignored_but_prewarm_is_kept(
    tmp_path: Path, recorder: Recorder
) -> None:
    speech = make_service(tmp_path / "cache", recorder)
    speech.say(LONG)
    speech.prewarm([SHORT[0]])
    assert speech.health().state is DeviceState.OFFLINE
    with speech:
        assert wait_until(lambda: speech.stats.synthesized == 1)
        time.sleep(0.1)
        assert recorder.texts == []
    assert speech.health().state is DeviceState.OFFLINE


def test_both_implementations_satisfy_the_protocol(tmp_path: Path) -> None:
    # Checked by mypy (the assignment) and at run time (the names).
    implementations: list[Speech] = [SpeechService(cache_dir=tmp_path), NullSpeech()]
    public = {name for name in dir(Speech) if not name.startswith("_")}
    for impl in implementations:
        assert public <= set(dir(impl))

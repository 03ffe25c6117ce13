"""The synthesis transport and the rate calibration, against the real espeak-ng."""

from __future__ import annotations

import re
import subprocess
import wave
from pathlib import Path

import pytest

from drivers.speech import EspeakCli, SynthesisError, espeak_rate_for_cpm
from drivers.speech.rate import MAX_CPM, MIN_CPM, RATE_STEPS_CPM
from tests.tools import require_tool

VOICE = "cmn-latn-pinyin"
# Exactly 20 Hanzi plus punctuation: the prompt length the speech figures are quoted for.
SENTENCE = "请把身份证放在读卡区，听到提示音后取回证件。"
HANZI = re.compile(r"[\u4e00-\u9fff]")
# Measured on this machine: six prompts land within ±6 % of the configured rate
# (the calibration in drivers/speech/rate.py). ±15 % leaves room for other prompts'
# punctuation while still failing if the cpm → espeak mapping is wrong (-s 190 taken
# literally would be ~17 % fast).
RATE_TOLERANCE = 0.15


@pytest.fixture(autouse=True, scope="module")
def espeak_ng() -> None:
    require_tool("espeak-ng")


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def test_sentence_has_twenty_characters() -> None:
    assert len(HANZI.findall(SENTENCE)) == 20


@pytest.mark.parametrize("cpm", RATE_STEPS_CPM)
def test_wav_duration_matches_configured_rate(tmp_path: Path, cpm: int) -> None:
    out = EspeakCli().synthesize(SENTENCE, VOICE, espeak_rate_for_cpm(cpm), tmp_path / "a.wav")
    seconds = wav_seconds(out)
    expected = 20 / cpm * 60
    assert abs(seconds - expected) / expected < RATE_TOLERANCE, (seconds, expected)
    # Cross-check the header-derived duration with sox's own reading of the file.
    soxi = subprocess.run(
        [require_tool("soxi"), "-D", str(out)], capture_output=True, check=True, timeout=10
    )
    assert float(soxi.stdout) == pytest.approx(seconds, abs=0.01)


def test_faster_rate_gives_shorter_wav(tmp_path: Path) -> None:
    engine = EspeakCli()
    slow = wav_seconds(
        engine.synthesize(SENTENCE, VOICE, espeak_rate_for_cpm(160), tmp_path / "slow.wav")
    )
    fast = wav_seconds(
        engine.synthesize(SENTENCE, VOICE, espeak_rate_for_cpm(220), tmp_path / "fast.wav")
    )
    # 220/160 = 1.375 in theory; demand a clear difference.
    assert slow / fast > 1.25


def test_wav_is_complete_when_synthesize_returns(tmp_path: Path) -> None:
    out = EspeakCli().synthesize(SENTENCE, VOICE, 166, tmp_path / "a.wav")
    with wave.open(str(out), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        expected_size = 44 + wav.getnframes() * 2
    assert out.stat().st_size == expected_size
    assert not list(tmp_path.glob(".*.tmp"))


def test_missing_executable_raises_synthesis_error(tmp_path: Path) -> None:
    engine = EspeakCli(str(tmp_path / "no-espeak"))
    with pytest.raises(SynthesisError):
        engine.version()
    with pytest.raises(SynthesisError):
        engine.synthesize(SENTENCE, VOICE, 166, tmp_path / "a.wav")
    assert not (tmp_path / "a.wav").exists()


def test_unknown_voice_raises_with_exit_code(tmp_path: Path) -> None:
    with pytest.raises(SynthesisError) as info:
        EspeakCli().synthesize(SENTENCE, "nosuchvoice", 166, tmp_path / "a.wav")
    assert info.value.code == 1
    assert not list(tmp_path.iterdir())


def test_prompt_starting_with_dash_is_text_not_option(tmp_path: Path) -> None:
    out = EspeakCli().synthesize("-v 请稍候", VOICE, 166, tmp_path / "a.wav")
    assert wav_seconds(out) > 0.3


def test_rate_mapping_is_monotonic_and_clamped() -> None:
    rates = [espeak_rate_for_cpm(c) for c in range(MIN_CPM, MAX_CPM + 1, 10)]
    assert rates == sorted(rates)
    assert len(set(rates)) == len(rates)
    assert espeak_rate_for_cpm(10) == espeak_rate_for_cpm(MIN_CPM)
    assert espeak_rate_for_cpm(1000) == espeak_rate_for_cpm(MAX_CPM)
    # espeak's "-s" is not characters per minute: 190 cpm needs a slower setting.
    assert espeak_rate_for_cpm(190) < 180

"""Bench: prompt → playback started, for cached and uncached 20-character prompts.

Targets (DESIGN §2: feedback within 100 ms): cached ≤ 30 ms, uncached ≤ 150 ms.
Also reports the bare synthesis time of one 20-character prompt. "Playing" is the
moment ``Channel.play`` returned (the ``on_playback_started`` hook); the mixer's
512-frame buffer adds up to ~23 ms before sound leaves a real speaker.

Run: ``PYTHONPATH=. .venv/bin/python bench/speech_start.py [--runs 20]``. Uses SDL's
dummy audio driver unless SDL_AUDIODRIVER is set, so it runs without a sound card.
Exit status 1 when a median misses its target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drivers.speech import SpeechService

CACHED_TARGET_MS = 30.0
UNCACHED_TARGET_MS = 150.0
# 20 Hanzi each; uncached runs need a distinct prompt per run (templated like real prompts).
PROMPT = "请把身份证放在读卡区，听到提示音后取回证件。"
UNCACHED = "您本次办理的是第{n}号业务，请仔细核对后按确认。"


def _measure(speech: SpeechService, texts: list[str]) -> list[float]:
    started = threading.Event()
    speech.on_playback_started = lambda _text: started.set()
    samples: list[float] = []
    for text in texts:
        started.clear()
        t0 = time.perf_counter()
        speech.say(text)
        if not started.wait(5.0):
            raise RuntimeError(f"playback did not start: {speech.health()}")
        samples.append((time.perf_counter() - t0) * 1000)
        speech.stop()
        time.sleep(0.02)  # let the worker settle so runs do not overlap
    return samples


def _synth_times(runs: int, cache: Path) -> list[float]:
    from drivers.speech import EspeakCli, espeak_rate_for_cpm

    engine = EspeakCli()
    out: list[float] = []
    for n in range(runs):
        t0 = time.perf_counter()
        engine.synthesize(PROMPT, "cmn-latn-pinyin", espeak_rate_for_cpm(190), cache / f"s{n}.wav")
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _row(name: str, samples: list[float], target: float | None) -> tuple[str, bool]:
    median = statistics.median(samples)
    ok = target is None or median <= target
    goal = f"≤ {target:.0f}" if target is not None else "—"
    verdict = "" if target is None else ("ok" if ok else "MISS")
    line = f"{name:<26}{median:>9.1f}{min(samples):>9.1f}{max(samples):>9.1f}{goal:>9}  {verdict}"
    return line, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    from drivers.speech import SpeechService

    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        synth = _synth_times(args.runs, cache)
        with SpeechService(cache_dir=cache / "speech") as speech:
            if not speech.health().usable:
                print(f"speech unavailable: {speech.health().detail}", file=sys.stderr)
                return 1
            uncached = _measure(speech, [UNCACHED.format(n=n + 1) for n in range(args.runs)])
            speech.say(PROMPT)  # first say synthesises; the runs below are memory hits
            time.sleep(0.3)
            cached = _measure(speech, [PROMPT] * args.runs)
    print(f"speech start, {args.runs} runs, 20-character prompt (ms)")
    print(f"{'':<26}{'median':>9}{'min':>9}{'max':>9}{'target':>9}")
    rows = [
        _row("synthesis only (CLI)", synth, None),
        _row("say → playing, uncached", uncached, UNCACHED_TARGET_MS),
        _row("say → playing, cached", cached, CACHED_TARGET_MS),
    ]
    for line, _ in rows:
        print(line)
    return 0 if all(ok for _, ok in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Disabled speech keeps no history in production and a bounded one in tests."""

from __future__ import annotations

from drivers.speech import NullSpeech


def test_history_is_bounded() -> None:
    speech = NullSpeech(history=3)
    speech.start()
    for i in range(10):
        speech.say(f"prompt {i}")
    assert list(speech.said) == ["prompt 7", "prompt 8", "prompt 9"]


def test_runtime_keeps_nothing() -> None:
    speech = NullSpeech(history=0)
    speech.start()
    speech.say("您好，张*兰")
    assert len(speech.said) == 0

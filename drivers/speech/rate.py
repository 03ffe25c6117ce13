"""Speaking rate: Chinese characters per minute (字/分) to espeak-ng's ``-s`` rate.

espeak-ng's ``-s`` is nominally "words per minute" but, for the Mandarin
voices, it is only a speed knob: what a listener hears is characters per
minute. The table below was measured on this machine (espeak-ng 1.51, voice
``cmn-latn-pinyin``) by synthesising six typical kiosk prompts (111 Hanzi,
with their commas and full stops) at each ``-s`` value and dividing the Hanzi
count by the total WAV duration. The duration includes the pauses espeak puts
at punctuation and at the end of each prompt, so the figure is the rate the
person at the kiosk actually experiences. ``bench`` and
``tests/drivers/test_speech_synthesis.py`` re-measure it.

Measured: ``-s 140`` ≈ 157 字/分, ``-s 170`` ≈ 195, ``-s 190`` ≈ 223,
``-s 220`` ≈ 266; the relation is close to linear, so we interpolate.
Note ``-s`` equal to the cpm figure would be ~15 % too fast at 190.

Other voices get the same ``-s`` value: for the English voice ``en`` the three
steps are about 143/166/188 words per minute, inside the 150–200 wpm older
listeners found comfortable (Sutton 1995, accessibility spec §5) apart from the
slowest step, which is meant to be slow.

Accessibility spec §5: older listeners are comfortable at about 180–210 字/分;
offer slower and faster steps, but no extreme slowing (it hurts recognition),
hence the clamp to :data:`MIN_CPM`..:data:`MAX_CPM`.
"""

from __future__ import annotations

import itertools

# (espeak -s value, measured Chinese characters per minute), ascending.
_CALIBRATION: tuple[tuple[int, float], ...] = (
    (100, 107.1),
    (120, 130.3),
    (140, 156.5),
    (150, 167.7),
    (160, 181.5),
    (170, 194.9),
    (180, 208.9),
    (190, 223.1),
    (200, 237.6),
    (220, 266.3),
    (240, 296.9),
)

DEFAULT_CPM = 190
# Three user-selectable speeds (accessibility spec §5: "3 user-selectable speeds").
RATE_STEPS_CPM: tuple[int, int, int] = (160, 190, 220)
MIN_CPM = 120
MAX_CPM = 280


def clamp_cpm(cpm: int) -> int:
    """Return ``cpm`` limited to the supported range :data:`MIN_CPM`..:data:`MAX_CPM`."""
    return max(MIN_CPM, min(MAX_CPM, int(cpm)))


def espeak_rate_for_cpm(cpm: int) -> int:
    """espeak-ng ``-s`` value that speaks Mandarin at about ``cpm`` characters a minute.

    ``cpm`` is clamped first (see :func:`clamp_cpm`); the result is a linear
    interpolation of the measured calibration table.
    """
    target = float(clamp_cpm(cpm))
    points = _CALIBRATION
    # Pick the segment that brackets the target; extrapolate from the end segments.
    for (s0, c0), (s1, c1) in itertools.pairwise(points):
        if target <= c1 or (s1, c1) == points[-1]:
            return round(s0 + (target - c0) * (s1 - s0) / (c1 - c0))
    raise AssertionError("unreachable: the loop returns on the last segment")

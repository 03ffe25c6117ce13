"""The synthesis transport: one espeak-ng process per utterance, text → WAV file.

Why the espeak-ng CLI and not pyttsx3 (DESIGN §4 names pyttsx3): measured
here with pyttsx3 2.99 driving libespeak-ng, a loop of
``setProperty("rate", r); save_to_file(text, f); runAndWait()`` on one engine
wrote the rate-250 file with the audio of the previous rate (8.73 s instead
of 4.74 s) — the queued property/save commands race the driver's callback
loop (the same family as pyttsx3 #170 and #219). pyttsx3 also prints to
stdout on every save and can only be initialised once per process, so a
crashed engine cannot be restarted. The CLI gives us what the kiosk needs:
the process exit *is* "the file is complete", a crash or hang is contained
in a child process we can time out, and the executable can be pointed at a
missing path to test failure handling. Cost: ~25 ms per 20-character prompt
(specs/rendering.md), well inside the 150 ms budget for an uncached prompt.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import wave
from pathlib import Path

from drivers.errors import DeviceError

# A long receipt read-out synthesises in well under a second; a hung process is a fault.
SYNTH_TIMEOUT_S = 10.0
# espeak-ng writes 16-bit mono PCM with a 44-byte RIFF header.
_WAV_HEADER_BYTES = 44


class SynthesisError(DeviceError):
    """espeak-ng is missing, rejected the voice, crashed, hung or wrote a bad WAV."""


class EspeakCli:
    """Runs ``espeak-ng -v VOICE -s RATE -w OUT TEXT``, one utterance per call.

    Not thread-safe by design: exactly one worker thread owns an instance
    (specs/speech.md: synthesise one utterance at a time in one worker).
    """

    def __init__(self, executable: str = "espeak-ng") -> None:
        self.executable = executable

    def version(self) -> str:
        """Return the engine's version line; raises :class:`SynthesisError` if it cannot run.

        Used at start as a health probe and as part of the cache key, so an
        engine upgrade does not replay audio made by the old one.
        """
        path = shutil.which(self.executable)
        if path is None:
            raise SynthesisError(f"speech engine {self.executable!r} not found")
        try:
            done = subprocess.run(
                [path, "--version"],
                capture_output=True,
                timeout=SYNTH_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SynthesisError(f"speech engine {self.executable!r} failed: {exc}") from exc
        if done.returncode != 0:
            raise SynthesisError(
                f"speech engine --version exited {done.returncode}", code=done.returncode
            )
        # "eSpeak NG text-to-speech: 1.51  Data at: ..." — keep the part before the data path.
        return done.stdout.decode("utf-8", "replace").split("Data at")[0].strip()

    def synthesize(self, text: str, voice: str, rate: int, out: Path) -> Path:
        """Write ``text`` spoken with ``voice`` at espeak rate ``rate`` to the WAV ``out``.

        Returns ``out`` once the file is complete and checked (process exited 0,
        RIFF header valid, PCM length matches the header, at least one frame).
        Writes to a sibling temporary name and renames, so a reader never sees
        a half-written file. Raises :class:`SynthesisError`.
        """
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        # "--" keeps a prompt that starts with "-" from being read as an option.
        argv = [self.executable, "-v", voice, "-s", str(rate), "-w", str(tmp), "--", text]
        try:
            done = subprocess.run(argv, capture_output=True, timeout=SYNTH_TIMEOUT_S, check=False)
        except FileNotFoundError as exc:
            raise SynthesisError(f"speech engine {self.executable!r} not found") from exc
        except (OSError, subprocess.TimeoutExpired) as exc:
            tmp.unlink(missing_ok=True)
            raise SynthesisError(f"speech engine failed: {exc}") from exc
        if done.returncode != 0:
            tmp.unlink(missing_ok=True)
            message = done.stderr.decode("utf-8", "replace").strip()[:200]
            raise SynthesisError(
                f"espeak-ng exited {done.returncode}: {message}", code=done.returncode
            )
        try:
            _check_wav(tmp)
        except SynthesisError:
            tmp.unlink(missing_ok=True)
            raise
        tmp.replace(out)
        return out


def _check_wav(path: Path) -> None:
    try:
        size = path.stat().st_size
        with wave.open(str(path), "rb") as wav:
            frames = wav.getnframes()
            frame_bytes = wav.getsampwidth() * wav.getnchannels()
    except (OSError, EOFError, wave.Error) as exc:
        raise SynthesisError(f"speech engine wrote no valid WAV: {exc}") from exc
    if frames == 0:
        raise SynthesisError("speech engine wrote an empty WAV")
    if size < _WAV_HEADER_BYTES + frames * frame_bytes:
        raise SynthesisError(f"speech engine wrote a truncated WAV ({size} bytes)")

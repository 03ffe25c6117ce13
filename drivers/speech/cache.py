"""Prompt caches: synthesised audio keyed by (text, voice, espeak rate, engine).

Two levels, because a cached prompt must start within ~30 ms (bench/speech_start.py):

* memory — ``pygame.mixer.Sound`` objects, least-recently-used, bounded in bytes;
* disk — WAV files named by a hash of the key, so a restart does not
  re-synthesise the fixed prompts.

Privacy (DESIGN §3, §6): only *fixed* prompts (those passed to ``prewarm``)
are written to the disk cache. Everything else may contain a name, an amount
or a masked number; it lives only in memory and :meth:`MemoryCache.forget_private`
drops it when a session ends.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pygame.mixer

log = logging.getLogger(__name__)

# Bounds: a 6 s prompt is ~0.5 MB as 16-bit 44.1 kHz stereo; 64 MB holds ~120 of them.
MEMORY_LIMIT_BYTES = 64 * 1024 * 1024
# A catalogue's fixed prompts at three speeds and two languages stay far below this.
DISK_LIMIT_FILES = 5000


@dataclass(frozen=True)
class PromptKey:
    text: str
    voice: str
    rate: int  # espeak-ng -s value actually used
    engine: str  # engine version line, so an upgrade invalidates old audio

    def filename(self) -> str:
        digest = hashlib.sha256(
            "\0".join((self.engine, self.voice, str(self.rate), self.text)).encode("utf-8")
        ).hexdigest()
        return f"{digest[:40]}.wav"


@dataclass
class _Entry:
    sound: pygame.mixer.Sound
    size: int
    private: bool


class MemoryCache:
    """LRU of loaded sounds, bounded by ``limit_bytes``. Callers hold the service lock."""

    def __init__(self, limit_bytes: int = MEMORY_LIMIT_BYTES) -> None:
        self.limit_bytes = limit_bytes
        self._entries: OrderedDict[PromptKey, _Entry] = OrderedDict()
        self._bytes = 0

    def get(self, key: PromptKey) -> pygame.mixer.Sound | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry.sound

    def put(self, key: PromptKey, sound: pygame.mixer.Sound, *, private: bool) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old.size
        size = _sound_bytes(sound)
        self._entries[key] = _Entry(sound, size, private)
        self._bytes += size
        while self._bytes > self.limit_bytes and len(self._entries) > 1:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.size

    def forget_private(self) -> int:
        """Drop every entry not from a fixed prompt; return how many were dropped."""
        private = [key for key, entry in self._entries.items() if entry.private]
        for key in private:
            self._bytes -= self._entries.pop(key).size
        return len(private)

    def __len__(self) -> int:
        return len(self._entries)


def _sound_bytes(sound: pygame.mixer.Sound) -> int:
    import pygame.mixer

    init = pygame.mixer.get_init()
    frequency, size, channels = init if init is not None else (22050, -16, 1)
    return int(sound.get_length() * frequency * channels * (abs(size) // 8))


class DiskCache:
    """WAV files of fixed prompts under ``root``; ``root/private`` holds transient files."""

    def __init__(self, root: Path, limit_files: int = DISK_LIMIT_FILES) -> None:
        self.root = root
        self.limit_files = limit_files

    @property
    def private_dir(self) -> Path:
        return self.root / "private"

    def open(self) -> None:
        """Create the directories, remove leftovers of a crash and prune old prompts.

        Raises ``OSError`` when the directory cannot be created.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        self.private_dir.mkdir(mode=0o700, exist_ok=True)
        # A crash may leave a session's audio behind; it must not survive a restart.
        for leftover in self.private_dir.iterdir():
            leftover.unlink(missing_ok=True)
        for partial in self.root.glob(".*.tmp"):
            partial.unlink(missing_ok=True)
        self._prune()

    def path(self, key: PromptKey) -> Path:
        return self.root / key.filename()

    def _prune(self) -> None:
        files = sorted(self.root.glob("*.wav"), key=lambda p: p.stat().st_mtime)
        excess = len(files) - self.limit_files
        for old in files[: max(0, excess)]:
            old.unlink(missing_ok=True)
        if excess > 0:
            log.info("speech cache: pruned %d old prompts", excess)

"""A/B application slots and the boot state that says which one to trust
(DESIGN §10). Layout, slots under ``/opt/huimin``, data under
``/var/lib/huimin`` (the image's partitions; a temp root in tests)::

    <root>/slots/a/         code/, venv/, wheels/, release.json, INSTALLED
    <root>/slots/b/
    <root>/current -> slots/a        the slot that boots (one symlink)
    <data>/update/state.json         trial and last result (outside the slots)

Power-cut safety: nothing touches the active slot. Installing clears the
inactive slot's ``INSTALLED`` marker first and writes it (fsync) last, so a
cut install leaves a slot that is never switched to. Switching writes the
trial to ``state.json`` then replaces ``current`` by ``rename(2)`` of a new
symlink, which is atomic: after a cut ``current`` names the old slot or the
new one, and both are complete. The journal and the credential live in the
data directory and are never inside a slot.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SLOTS = ("a", "b")
MARKER = "INSTALLED"
MANIFEST = "release.json"


class SlotError(Exception):
    """A slot cannot be installed or switched to; the message says why."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` so that a power cut leaves the old content or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _run(argv: list[str]) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=600)


class Slots:
    """The two slots under ``root`` and the ``current`` symlink."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.current = self.root / "current"

    def slot_dir(self, slot: str) -> Path:
        if slot not in SLOTS:
            raise SlotError(f"no slot {slot!r}")
        return self.root / "slots" / slot

    def active(self) -> str:
        """The slot ``current`` names (``a`` when there is no link yet)."""
        try:
            name = Path(os.readlink(self.current)).name
        except FileNotFoundError:
            return SLOTS[0]
        return name if name in SLOTS else SLOTS[0]

    def inactive(self) -> str:
        return SLOTS[1] if self.active() == SLOTS[0] else SLOTS[0]

    def manifest(self, slot: str) -> dict[str, Any] | None:
        """The release.json of a completely installed slot, else None."""
        folder = self.slot_dir(slot)
        if not (folder / MARKER).exists():
            return None
        try:
            found: dict[str, Any] = json.loads((folder / MANIFEST).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return found

    def version(self, slot: str) -> str:
        found = self.manifest(slot)
        return str(found.get("version", "")) if found else ""

    def install(
        self, bundle: str | Path, slot: str | None = None, extra_site: str | Path | None = None
    ) -> str:
        """Install a verified bundle into ``slot`` (default: the inactive one);
        returns the slot. The code is unpacked and a virtualenv built from the
        bundle's wheels offline (``pip --no-index --find-links``).

        ``extra_site`` (process-level tests and bench only) adds a ``.pth`` to
        the slot's venv naming an existing site-packages instead of wheels.
        Raises :class:`SlotError` for the active slot or a bad bundle."""
        slot = slot or self.inactive()
        if slot == self.active() and self.current.exists():
            raise SlotError(f"slot {slot} is active; install into the other one")
        folder = self.slot_dir(slot)
        (folder / MARKER).unlink(missing_ok=True)
        if folder.exists():
            _fsync_dir(folder)
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        try:
            with tarfile.open(bundle, "r:gz") as tar:
                _extract_data_only(tar, folder)
        except (OSError, tarfile.TarError) as exc:
            raise SlotError(f"bundle cannot be unpacked: {exc}") from exc
        manifest = self.manifest_of(folder)
        self._build_venv(folder, manifest, extra_site)
        # Compile now, in the background: the first start after the switch
        # (inside the health gate's time limit) must not pay for it, and the
        # slot need not be writable when it runs.
        try:
            _run(
                [
                    str(folder / "venv" / "bin" / "python"),
                    "-m",
                    "compileall",
                    "-q",
                    str(folder / "code"),
                ]
            )
        except subprocess.CalledProcessError as exc:
            tail = (exc.stdout or b"")[-400:].decode("utf-8", "replace")
            raise SlotError(f"the slot's code does not compile: {tail}") from exc
        write_atomic(folder / MARKER, str(manifest.get("version", "")).encode())
        return slot

    @staticmethod
    def manifest_of(folder: Path) -> dict[str, Any]:
        try:
            found: dict[str, Any] = json.loads((folder / MANIFEST).read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise SlotError(f"bundle has no readable {MANIFEST}: {exc}") from exc
        if not isinstance(found.get("entry"), list) or not found.get("version"):
            raise SlotError(f"{MANIFEST} lacks version or entry")
        return found

    @staticmethod
    def _build_venv(folder: Path, manifest: dict[str, Any], extra_site: str | Path | None) -> None:
        venv = folder / "venv"
        try:
            _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
            wheels = sorted((folder / "wheels").glob("*.whl"))
            if wheels:
                _run(
                    [
                        *(sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")),
                        *("install", "--no-index", "--find-links", str(folder / "wheels")),
                        *("--no-cache-dir", "-q", *[str(w) for w in wheels]),
                    ]
                )
        except subprocess.CalledProcessError as exc:
            tail = (exc.stderr or b"")[-400:].decode("utf-8", "replace")
            raise SlotError(f"virtualenv of the slot failed: {tail}") from exc
        if extra_site is not None:
            version = f"python{sys.version_info.major}.{sys.version_info.minor}"
            site = venv / "lib" / version / "site-packages"
            site.mkdir(parents=True, exist_ok=True)
            (site / "_huimin_extra.pth").write_text(f"{extra_site}\n", "utf-8")
        del manifest

    def switch_to(self, slot: str) -> None:
        """Make ``slot`` the one that boots, atomically. Raises
        :class:`SlotError` when it is not completely installed."""
        if self.manifest(slot) is None:
            raise SlotError(f"slot {slot} is not completely installed")
        link = self.root / "current.new"
        link.unlink(missing_ok=True)
        os.symlink(f"slots/{slot}", link)
        os.replace(link, self.current)
        _fsync_dir(self.root)

    def command(self, slot: str | None = None) -> list[str]:
        """How to start the slot's terminal: its venv's python and the entry."""
        slot = slot or self.active()
        manifest = self.manifest(slot)
        if manifest is None:
            raise SlotError(f"slot {slot} is not completely installed")
        folder = self.slot_dir(slot)
        entry = [str(part) for part in manifest["entry"]]
        return [
            str(folder / "venv" / "bin" / "python"),
            str(folder / "code" / entry[0]),
            *entry[1:],
        ]


@dataclass
class Trial:
    """A switch on probation: the health gate has not passed yet."""

    slot: str
    previous: str
    version: str
    rollout_id: int
    started_at: float
    boots: int = 0


@dataclass
class Outcome:
    """The last update's result, kept until the hub has been told."""

    rollout_id: int
    version: str
    state: str  # healthy | rolled_back | failed
    reason: str = ""
    log_tail: str = ""
    reported: bool = False
    at: float = 0.0
    switch_started_at: float = 0.0


@dataclass
class BootState:
    trial: Trial | None = None
    last: Outcome | None = None
    refused: dict[str, str] = field(default_factory=dict)  # version → reason, never retried

    @classmethod
    def load(cls, path: Path) -> BootState:
        try:
            raw = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError):
            # A state file is written atomically; unreadable means damaged
            # storage: boot what ``current`` names, without a trial.
            return cls()
        trial = raw.get("trial")
        last = raw.get("last")
        return cls(
            trial=Trial(**trial) if isinstance(trial, dict) else None,
            last=Outcome(**last) if isinstance(last, dict) else None,
            refused=dict(raw.get("refused", {})),
        )

    def save(self, path: Path) -> None:
        write_atomic(path, json.dumps(asdict(self), ensure_ascii=False, indent=1).encode())


def _extract_data_only(tar: tarfile.TarFile, folder: Path) -> None:
    """Extract plain files and folders only, inside ``folder``: the "data" filter
    of PEP 706 where Python has it (3.11.4+); Debian 12's Python 3.11.2 does not,
    so there the same refusals are checked here first."""
    if hasattr(tarfile, "data_filter"):
        tar.extractall(folder, filter="data")
        return
    root = folder.resolve()
    for member in tar.getmembers():
        target = (folder / member.name).resolve()
        if member.name.startswith("/") or not target.is_relative_to(root):
            raise tarfile.ExtractError(f"{member.name}: outside the slot")
        if not (member.isfile() or member.isdir()):
            raise tarfile.ExtractError(f"{member.name}: not a plain file or folder")
    tar.extractall(folder)

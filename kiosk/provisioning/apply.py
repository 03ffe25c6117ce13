"""Provisioning a terminal from a partition or USB stick (run as root by
``huimin-provision@.service`` when a device labelled HUIMIN-PROV appears).

The medium is mounted read-only, only while it is read. A valid file is
written to the data partition in an order that survives a power cut: the
CA and maintenance keys first, the kiosk's configuration last, atomically —
its existence is what "provisioned" means. Then the kiosk replaces the
set-up screen, usbguard is restarted so that no stick is allowed any more,
and SSH starts when a maintenance key was given. What happened is kept in a
status file the set-up screen shows (an invalid file is explained on screen).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from kiosk.provisioning.model import PROVISIONING_FILE, ProvisioningError, build_config

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
MOUNT_OPTIONS = "ro,nosuid,nodev,noexec"


@dataclass(frozen=True)
class Layout:
    """Where provisioning reads and writes (the image's paths; tests use a temp dir)."""

    config_dir: Path = Path("/var/lib/huimin-config")
    ssh_dir: Path = Path("/var/lib/huimin-ssh")
    status_file: Path = Path("/run/huimin-provision/status.json")
    base_config: Path = REPO_ROOT / "config" / "kiosk.image.toml"
    credential: Path = Path("/var/lib/huimin/credential.json")
    group: str | None = "huimin"
    """The kiosk's group: it may read the configuration and the CA, not change them."""

    @property
    def config(self) -> Path:
        return self.config_dir / "kiosk.toml"

    @property
    def ca(self) -> Path:
        return self.config_dir / "hub-ca.pem"

    @property
    def authorized_keys(self) -> Path:
        return self.ssh_dir / "authorized_keys"


@dataclass
class Outcome:
    """The status the set-up screen shows: ``waiting``, ``invalid`` or ``done``."""

    state: str
    medium: str = ""
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state, "medium": self.medium, "problems": self.problems}


def write_file(path: Path, data: bytes, mode: int, group: str | None) -> None:
    """Write ``data`` to ``path`` atomically: a temp file beside it with ``mode`` (and
    owner root, ``group``) from the start, fsynced, renamed, the directory fsynced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            if group is not None:
                shutil.chown(tmp, user=0, group=group)
            os.fchmod(out.fileno(), mode)  # the umask never widens or narrows it
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_status(layout: Layout, outcome: Outcome) -> None:
    body = json.dumps(outcome.as_dict(), ensure_ascii=False).encode("utf-8")
    write_file(layout.status_file, body, 0o644, None)


def apply_directory(directory: Path, layout: Layout, medium: str = "") -> Outcome:
    """Provision from the files in ``directory`` (a mounted medium).

    Returns the outcome; writes nothing unless the file is valid. A medium
    without ``huimin-provision.toml`` (the image's own partition holds only a
    README and an example) is not an error: the terminal keeps waiting.
    """
    source = directory / PROVISIONING_FILE
    if not source.is_file():
        return Outcome("waiting", medium)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Outcome("invalid", medium, [f"{PROVISIONING_FILE}: cannot be read ({exc})"])

    def read_beside(name: str) -> bytes:
        return (directory / name).read_bytes()

    try:
        result = build_config(text, read_beside, layout.base_config, layout.ca)
    except ProvisioningError as exc:
        return Outcome("invalid", medium, exc.problems)
    layout.config_dir.mkdir(mode=0o750, parents=True, exist_ok=True)
    write_file(layout.ca, result.ca_pem, 0o640, layout.group)
    if result.ssh_authorized_keys:
        layout.ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        keys = "".join(key.strip() + "\n" for key in result.ssh_authorized_keys)
        write_file(layout.authorized_keys, keys.encode("ascii"), 0o600, None)
    # Last, and atomically: from here on the terminal is provisioned.
    write_file(layout.config, tomli_w.dumps(result.config_document).encode(), 0o640, layout.group)
    log.info(
        "provisioned from %s: terminal %s, hub %s",
        medium or directory,
        result.config.terminal.name,
        result.config.hub.url,
    )
    return Outcome("done", medium)


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """One provisioning at a time: the image's own partition and a stick may both be
    found at boot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextmanager
def mounted(device: str) -> Iterator[Path]:
    """``device`` mounted read-only on a private temporary directory, unmounted after."""
    where = Path(tempfile.mkdtemp(prefix="huimin-provision-"))
    try:
        subprocess.run(
            ["mount", "-o", MOUNT_OPTIONS, device, str(where)],
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        )
        try:
            yield where
        finally:
            subprocess.run(["umount", str(where)], check=False, capture_output=True, timeout=30)
    finally:
        where.rmdir()


def systemctl(*args: str) -> None:
    done = subprocess.run(
        ["systemctl", *args], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        log.warning("systemctl %s failed: %s", " ".join(args), done.stderr.strip())


def switch_to_kiosk(layout: Layout, control: Callable[..., None] = systemctl) -> None:
    """After provisioning: the kiosk on tty1, SSH when a key was given, no more sticks.

    Queued (--no-block) and usbguard last: blocking the stick removes its device,
    and this service, bound to it, is stopped at once. Restarting usbguard first
    (as the boot test found) stopped it before the kiosk was asked to start.
    """
    # The kiosk conflicts with, so stops, the set-up screen.
    control("start", "--no-block", "huimin-kiosk.service")
    if layout.authorized_keys.exists():
        control("start", "--no-block", "ssh.service")
    control("try-restart", "--no-block", "usbguard.service")


def provision(
    device: str,
    layout: Layout | None = None,
    *,
    mount: Callable[[str], Any] = mounted,
    control: Callable[..., None] = systemctl,
) -> Outcome:
    """Provision from ``device`` unless the terminal already is; returns what happened."""
    layout = layout or Layout()
    with locked(layout.status_file.with_name("lock")):
        return _provision(device, layout, mount, control)


def _provision(
    device: str, layout: Layout, mount: Callable[[str], Any], control: Callable[..., None]
) -> Outcome:
    if layout.config.exists():
        log.info("already provisioned: %s ignored", device)
        return Outcome("done", device)
    try:
        with mount(device) as directory:
            outcome = apply_directory(directory, layout, device)
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        outcome = Outcome("invalid", device, [f"{device}: cannot be mounted ({detail.strip()})"])
    if outcome.state == "invalid":
        for problem in outcome.problems:
            log.error("provisioning from %s: %s", device, problem)
    if outcome.state != "waiting" or not layout.status_file.exists():
        write_status(layout, outcome)
    if outcome.state == "done":
        switch_to_kiosk(layout, control)
    return outcome

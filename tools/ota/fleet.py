"""Helpers for process-level OTA tests and bench: a signed repository with
releases of the headless terminal, and terminals laid out as slots under a
temp root (``<base>/<name>/opt/huimin`` and ``<base>/<name>/var/lib/huimin``,
the image's paths under a prefix) run by the real boot supervisor."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from hub.releases import ReleaseRepository, build_bundle
from hub.releases.repository import load_signer
from kiosk.agent.update_slots import Slots

REPO_ROOT = Path(__file__).resolve().parents[2]
# What a headless terminal's release holds: the agent's code and this tool.
TERMINAL_CODE = ("kiosk", "drivers", "protocol", "tools/__init__.py", "tools/ota")
TERMINAL_ENTRY = ("tools/ota/terminal.py",)


def shared_site_packages() -> str:
    """The running interpreter's site-packages (the slots' stand-in for wheels)."""
    return next(p for p in site.getsitepackages() if p.endswith("site-packages"))


@dataclass
class SignedRepo:
    repo: ReleaseRepository
    offline: Path
    online: Path

    @classmethod
    def create(cls, base: Path) -> SignedRepo:
        repo = ReleaseRepository.create(base / "releases", base / "usb", base / "online")
        return cls(repo, base / "usb", base / "online")

    def bundle(self, version: str, out_dir: Path, crash: bool = False) -> Path:
        entry = [*TERMINAL_ENTRY, *(["--crash-at-start"] if crash else [])]
        return build_bundle(
            out_dir / f"bundle-{version}.tar.gz", version, REPO_ROOT, TERMINAL_CODE, (), entry
        )

    def release(self, version: str, out_dir: Path, crash: bool = False) -> Path:
        """Build, sign (offline targets key) and publish (online keys) a release."""
        bundle = self.bundle(version, out_dir, crash)
        self.repo.add_release(bundle, version, load_signer(self.offline / "targets.pem"))
        self.repo.publish(
            load_signer(self.online / "snapshot.pem"), load_signer(self.online / "timestamp.pem")
        )
        return bundle


@dataclass
class SimTerminal:
    name: str
    root: Path
    data: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def slots(self) -> Slots:
        return Slots(self.root)

    def state(self) -> dict[str, object]:
        path = self.data / "update" / "state.json"
        try:
            found: dict[str, object] = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return found


def provision(
    base: Path,
    name: str,
    hub_url: str,
    first_bundle: Path,
    trusted_root: bytes,
    place: str = "兰考县/城关镇/张庄村",
    **settings: object,
) -> SimTerminal:
    """Lay out a terminal as the image would: the first release in slot a,
    ``current`` → a, the trusted root and the terminal's settings in data."""
    root = base / name / "opt" / "huimin"
    data = base / name / "var" / "lib" / "huimin"
    data.mkdir(parents=True, exist_ok=True)
    (root / "trust").mkdir(parents=True, exist_ok=True)
    (root / "trust" / "root.json").write_bytes(trusted_root)
    slots = Slots(root)
    slots.install(first_bundle, "a", extra_site=shared_site_packages())
    slots.switch_to("a")
    cfg = {
        "hub": hub_url,
        "name": name,
        "place": place,
        "trusted_root": str(root / "trust" / "root.json"),
        "extra_site": shared_site_packages(),
        "poll_s": 1.0,
        "heartbeat_s": 5.0,
        **settings,
    }
    (data / "terminal.json").write_text(json.dumps(cfg, ensure_ascii=False), "utf-8")
    return SimTerminal(name, root, data)


def start_supervisor(
    terminal: SimTerminal, health_timeout_s: float = 20.0, crash_limit: int = 3
) -> subprocess.Popen[bytes]:
    """``python -m kiosk.agent.update_boot`` for the terminal (output to
    ``<data>/supervisor.log``)."""
    out = open(terminal.data / "supervisor.log", "ab")  # noqa: SIM115 - handed to the child
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    terminal.process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiosk.agent.update_boot",
            "--root",
            str(terminal.root),
            "--data",
            str(terminal.data),
            "--health-timeout",
            str(health_timeout_s),
            "--crash-limit",
            str(crash_limit),
            "--restart-pause",
            "0.5",
        ],
        stdout=out,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=str(terminal.data),
    )
    out.close()
    return terminal.process

"""A headless terminal for process-level OTA tests and bench: the real
:class:`~kiosk.agent.FleetAgent` (enrol, heartbeat, commands) and the real
:class:`~kiosk.agent.update_agent.UpdateAgent`, started from an application
slot by the boot supervisor, with simulated devices and no screen.

Its health marks: ``devices`` once the simulated devices report ONLINE,
``attract`` when it would draw the attract screen (at start: it has no
screen; the kiosk app marks it on its first attract frame), ``hub`` at the
first acknowledged heartbeat. ``--crash-at-start`` plays a broken release.
Ends (exit 0) when the updater asks for a restart, so the supervisor starts
the slot ``current`` names.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run from <slot>/code/tools/ota/terminal.py: the slot's code is the import root.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import argparse
import json
import logging
import os
import signal
import threading
import time
from typing import Any

from kiosk.agent import AgentState, FleetAgent
from kiosk.agent.update_agent import UpdateAgent
from kiosk.agent.update_health import HealthMarks
from protocol.commands import CommandArgs, CommandKind


class HeadlessHost:
    """AgentHost and UpdateHost of a terminal without screen or devices."""

    def __init__(self, version: str, stop: threading.Event) -> None:
        self.version = version
        self.started = time.monotonic()
        self.stop = stop
        self.screen = "attract"
        self.session_busy = False
        self.screen_on = True

    def status_snapshot(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "uptime_s": int(time.monotonic() - self.started),
            "devices": [],
            "screen": self.screen if self.screen_on else "screen_off",
            "session_state": "attract",
        }

    def personal_data_on_screen(self) -> bool:
        return False

    def take_screenshot(self) -> bytes | None:
        return None

    def run_command(
        self, kind: CommandKind, args: CommandArgs, timeout_s: float
    ) -> tuple[bool, str]:
        return True, f"{kind.value} noted by the headless terminal"

    def busy(self) -> bool:
        return self.session_busy

    def request_restart(self) -> None:
        self.stop.set()

    def set_screen(self, on: bool) -> None:
        self.screen_on = on
        logging.getLogger("terminal").info("screen %s", "on" if on else "off")

    def reboot(self) -> None:
        logging.getLogger("terminal").info("scheduled reboot")
        self.stop.set()


def main(argv: list[str] | None = None) -> int:
    # Release-specific flags come from the release's entry; the terminal's
    # own settings from <data>/terminal.json (outside the slots).
    parser = argparse.ArgumentParser()
    parser.add_argument("--crash-at-start", action="store_true")
    args = parser.parse_args(argv)
    data = Path(os.environ["HUIMIN_DATA"])
    root = Path(os.environ["HUIMIN_ROOT"])
    cfg = json.loads((data / "terminal.json").read_text("utf-8"))
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stdout,
        force=True,
    )
    log = logging.getLogger("terminal")
    code = Path(__file__).resolve().parents[2]
    version = json.loads((code.parent / "release.json").read_text())["version"]
    log.info("terminal %s starting version %s", cfg["name"], version)
    if cfg.get("say"):
        log.info("%s", cfg["say"])
    if args.crash_at_start:
        log.error("cannot open the configuration: this release is broken on purpose")
        return 3
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    host = HeadlessHost(version, stop)
    marks = HealthMarks()
    place = str(cfg.get("place", "兰考县/城关镇/张庄村"))
    county, town, village = ([*place.split("/"), "", ""])[:3]

    def on_state(state: AgentState) -> None:
        if state is AgentState.ONLINE:
            marks.mark("hub")

    agent = FleetAgent(
        cfg["hub"],
        None,
        data / "credential.json",
        cfg.get("enrol_code", "DEMO-ENROL"),
        cfg["name"],
        {"county": county, "town": town, "village": village},
        host,
        heartbeat_interval_s=float(cfg.get("heartbeat_s", 5.0)),
        on_state_change=on_state,
    )
    marks.mark("devices")
    marks.mark("attract")
    agent.start()
    updater = UpdateAgent(
        agent.transport,
        root,
        data,
        cfg["trusted_root"],
        host,
        rate_bps=int(cfg.get("rate_bps", 0)),
        switch_when_idle=bool(cfg.get("switch_when_idle", True)),
        extra_site=cfg.get("extra_site"),
        poll_s=float(cfg.get("poll_s", 2.0)),
    )
    updater.start()
    stop.wait()
    log.info("terminal %s stopping", cfg["name"])
    updater.stop()
    agent.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

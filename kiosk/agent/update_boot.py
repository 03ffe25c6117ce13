"""The boot supervisor: starts the terminal from the slot ``current`` names
and holds a freshly switched slot on probation (the health gate).

``python -m kiosk.agent.update_boot --root /opt/huimin --data /var/lib/huimin``
is what the image's kiosk unit runs (in place of ``main.py``). It is small,
stable and not part of a release: a broken release cannot break it.

On probation (``state.json`` has a trial naming the active slot):

- each start counts; more than ``crash_limit`` starts (the new version keeps
  dying) → roll back, reason ``crash loop``;
- the three health marks (update_health.CHECKS) must all be set within
  ``health_timeout_s`` of the switch → commit; otherwise roll back, naming
  the checks that failed.

A rollback switches ``current`` back, records the reason with the last log
lines of the new version (masked) as the outcome the old version's agent
reports to the hub, and starts the old version. Outside a trial a terminal
that exits is started again after a short pause (systemd restarts the
supervisor itself). SIGTERM stops the terminal and the supervisor.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from kiosk.agent.update_health import CHECK_LABELS, ENV_HEALTH_FILE, HealthMarks
from kiosk.agent.update_logs import tail
from kiosk.agent.update_slots import BootState, Outcome, SlotError, Slots

log = logging.getLogger(__name__)

ENV_DATA = "HUIMIN_DATA"
ENV_ROOT = "HUIMIN_ROOT"
LOG_CAP = 4 * 1024 * 1024


def state_path(data: Path) -> Path:
    return data / "update" / "state.json"


def health_path(data: Path) -> Path:
    return data / "update" / "health.json"


def slot_log(data: Path, slot: str) -> Path:
    return data / "update" / f"slot-{slot}.log"


class BootSupervisor:
    def __init__(
        self,
        root: str | Path,
        data: str | Path,
        health_timeout_s: float = 120.0,
        crash_limit: int = 3,
        restart_pause_s: float = 2.0,
    ) -> None:
        self.slots = Slots(root)
        self.data = Path(data)
        self.health_timeout_s = health_timeout_s
        self.crash_limit = crash_limit
        self.restart_pause_s = restart_pause_s
        self._stop = threading.Event()
        self._child: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        self._stop.set()
        child = self._child
        if child is not None and child.poll() is None:
            child.terminate()

    def run(self) -> int:
        while not self._stop.is_set():
            self.run_once()
        return 0

    def run_once(self) -> None:
        """Start the terminal once and wait for it (or for the gate's verdict)."""
        state = BootState.load(state_path(self.data))
        active = self.slots.active()
        trial = state.trial
        if trial is not None and trial.slot != active:
            # The power went between writing the trial and the switch (or in
            # a rollback after the switch back): what boots is the old slot.
            log.warning("trial of slot %s abandoned: %s is active", trial.slot, active)
            state.trial = None
            state.save(state_path(self.data))
            trial = None
        if trial is not None:
            trial.boots += 1
            state.save(state_path(self.data))
            if trial.boots > self.crash_limit:
                self.roll_back(
                    state, f"crash loop: version {trial.version} stopped {trial.boots - 1} times"
                )
                return
        try:
            argv = self.slots.command(active)
        except SlotError as exc:
            log.error("slot %s cannot start: %s", active, exc)
            if trial is not None:
                self.roll_back(state, f"slot does not start: {exc}")
                return
            self._stop.wait(self.restart_pause_s * 5)
            return
        child = self._start(argv, active)
        if trial is None:
            code = self._wait(child, None)
            if code is not None and not self._stop.is_set():
                log.warning("terminal exited with %s; starting it again", code)
                self._stop.wait(self.restart_pause_s)
            return
        marks = HealthMarks(health_path(self.data))
        deadline = trial.started_at + self.health_timeout_s
        while not self._stop.is_set():
            if not marks.missing():
                self.commit(state)
                self._wait(child, None)
                return
            if child.poll() is not None:
                log.warning("new version exited with %s on probation", child.returncode)
                self._stop.wait(min(self.restart_pause_s, max(0.0, deadline - time.time())))
                return
            if time.time() >= deadline:
                failed = ", ".join(CHECK_LABELS[c] for c in marks.missing())
                self._end(child)
                self.roll_back(state, f"health gate: {failed} within {self.health_timeout_s:.0f} s")
                return
            self._stop.wait(0.2)
        self._end(child)

    def _start(self, argv: list[str], slot: str) -> subprocess.Popen[bytes]:
        log_file = slot_log(self.data, slot)
        log_file.parent.mkdir(parents=True, exist_ok=True)
        if log_file.exists() and log_file.stat().st_size > LOG_CAP:
            os.replace(log_file, log_file.with_suffix(".log.1"))
        # The slot runs its own code: no PYTHONPATH from the supervisor's world.
        env = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
            ENV_HEALTH_FILE: str(health_path(self.data)),
            ENV_DATA: str(self.data),
            ENV_ROOT: str(self.slots.root),
        }
        with open(log_file, "ab") as out:
            child = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
        self._child = child
        return child

    def _wait(self, child: subprocess.Popen[bytes], timeout: float | None) -> int | None:
        while not self._stop.is_set():
            try:
                return child.wait(timeout=0.5 if timeout is None else timeout)
            except subprocess.TimeoutExpired:
                if timeout is not None:
                    return None
        self._end(child)
        return None

    @staticmethod
    def _end(child: subprocess.Popen[bytes]) -> None:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

    def commit(self, state: BootState) -> None:
        trial = state.trial
        assert trial is not None
        log.info("version %s passed the health gate", trial.version)
        state.last = Outcome(
            trial.rollout_id,
            trial.version,
            "healthy",
            at=time.time(),
            switch_started_at=trial.started_at,
        )
        state.trial = None
        state.save(state_path(self.data))

    def roll_back(self, state: BootState, reason: str) -> None:
        trial = state.trial
        assert trial is not None
        log.error("rolling back from %s: %s", trial.version, reason)
        last_lines = tail(slot_log(self.data, trial.slot))
        outcome = Outcome(
            trial.rollout_id,
            trial.version,
            "rolled_back",
            reason,
            last_lines,
            at=time.time(),
            switch_started_at=trial.started_at,
        )
        # Record first, then switch: after a cut here the trial is gone and
        # the next boot runs whatever ``current`` names, both complete.
        state.trial = None
        state.last = outcome
        state.refused[trial.version] = reason
        state.save(state_path(self.data))
        self.slots.switch_to(trial.previous)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.agent.update_boot")
    parser.add_argument("--root", default="/opt/huimin", help="slots folder")
    parser.add_argument("--data", default="/var/lib/huimin", help="data folder")
    parser.add_argument("--health-timeout", type=float, default=120.0)
    parser.add_argument("--crash-limit", type=int, default=3)
    parser.add_argument("--restart-pause", type=float, default=2.0)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    supervisor = BootSupervisor(
        args.root, args.data, args.health_timeout, args.crash_limit, args.restart_pause
    )
    signal.signal(signal.SIGTERM, lambda *_: supervisor.stop())
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())

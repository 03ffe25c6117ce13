"""The updater: the terminal's side of over-the-air updates (DESIGN §10).

A thread polls ``GET /api/v1/terminal/update`` (protocol/updates.py). When
the hub offers a release the updater verifies it through TUF, downloads it
in the background (rate-capped, paused while somebody is served), installs
it into the inactive slot, and switches only in the maintenance window (or
when idle, if allowed). After the switch it asks the terminal to restart:
the boot supervisor (update_boot.py) starts the new slot on probation and
rolls back if the health gate fails. Every step, and the rollback's reason,
is reported to the hub.

The same poll carries the place's windows (screen off outside opening
hours, a scheduled reboot) and the operator's log requests, so a terminal
that was offline gets them when it returns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from kiosk.agent.update_boot import health_path, slot_log, state_path
from kiosk.agent.update_logs import lines_between
from kiosk.agent.update_slots import BootState, SlotError, Slots, Trial
from kiosk.agent.update_tuf import DownloadPaused, ReleaseVerifier, UpdateRefused
from kiosk.agent.update_windows import in_maintenance, reboot_due, screen_should_be_on
from kiosk.hub_client import HubClient, HubRefused, HubUnavailable
from protocol.updates import (
    LOG_UPLOAD_PATH,
    UPDATE_PATH,
    UPDATE_STATUS_PATH,
    LogRequestOffer,
    ReleaseOffer,
    UpdateOffer,
    Windows,
)

log = logging.getLogger(__name__)


class UpdateHost(Protocol):
    """What the running terminal lets the updater do."""

    def busy(self) -> bool:
        """Somebody is being served (no download, no switch)."""

    def request_restart(self) -> None:
        """End the terminal so the supervisor starts the slot ``current`` names."""

    def set_screen(self, on: bool) -> None:
        """Screen on or off (DPMS, or the compositor's output)."""

    def reboot(self) -> None:
        """Reboot the machine (the scheduled reboot)."""


class UpdateAgent:
    """Keeps this terminal on the release its rollout offers."""

    def __init__(
        self,
        client: HubClient,
        root: str | Path,
        data: str | Path,
        trusted_root: str | Path,
        host: UpdateHost,
        *,
        rate_bps: int = 256 * 1024,
        poll_s: float = 60.0,
        switch_when_idle: bool = False,
        extra_site: str | Path | None = None,
        now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
    ) -> None:
        self.client = client
        self.slots = Slots(root)
        self.data = Path(data)
        self.verifier = ReleaseVerifier(
            client, self.data / "update" / "tuf", self.data / "update" / "downloads", trusted_root
        )
        self.host = host
        self.rate_bps = rate_bps
        self.poll_s = poll_s
        self.switch_when_idle = switch_when_idle
        self.extra_site = extra_site
        self.now = now
        self.windows = Windows()
        self.booted_at = now()
        self.screen_on: bool | None = None
        self._uploaded: set[int] = set()
        self._debug_until: datetime | None = None
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None
        self._reported: dict[tuple[int, str], str] = {}

    # -- thread ----------------------------------------------------------------------------

    def start(self) -> None:
        self._halt.clear()
        self._thread = threading.Thread(target=self._run, name="fleet-updater", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._halt.is_set():
            try:
                self.poll_once()
            except HubRefused as exc:
                log.error("updater stops: %s", exc)
                return
            except HubUnavailable as exc:
                log.info("updater: hub unavailable (%s)", exc)
            except Exception:  # supervision point: the updater must never take the kiosk down
                log.exception("updater round failed")
            self._halt.wait(self.poll_s)

    # -- one round -------------------------------------------------------------------------

    @property
    def state_file(self) -> Path:
        return state_path(self.data)

    def installed_version(self) -> str:
        return self.slots.version(self.slots.active())

    def poll_once(self) -> None:
        """Report, fetch the offer, apply windows and log requests, and move
        the offered release one step on. Raises :class:`HubUnavailable`."""
        self._report_outcome()
        offer = UpdateOffer.model_validate(self.client.get_json(UPDATE_PATH))
        self.poll_s = float(offer.poll_s)
        self.windows = offer.windows
        self._apply_windows()
        for request in offer.log_requests:
            self._serve_logs(request)
        if offer.release is not None:
            self._advance(offer.release)

    def _report(
        self, rollout_id: int, version: str, state: str, reason: str = "", tail: str = ""
    ) -> None:
        key = (rollout_id, version)
        if self._reported.get(key) == state and state not in ("failed",):
            return
        self.client.post_json(
            UPDATE_STATUS_PATH,
            {
                "rollout_id": rollout_id,
                "version": version,
                "state": state,
                "reason": reason[:400],
                "log_tail": tail[-8000:],
            },
        )
        self._reported[key] = state

    def _report_outcome(self) -> None:
        state = BootState.load(self.state_file)
        last = state.last
        if last is None or last.reported:
            return
        self._report(last.rollout_id, last.version, last.state, last.reason, last.log_tail)
        last.reported = True
        state.save(self.state_file)

    def _advance(self, release: ReleaseOffer) -> None:
        state = BootState.load(self.state_file)
        installed = self.installed_version()
        if state.trial is not None:
            return
        if release.version == installed:
            # Already running it (installed before this rollout, or switched
            # and committed): say so once, or the wave would wait for us.
            self._report(release.rollout_id, release.version, "healthy")
            return
        if release.version in state.refused:
            return  # refused or rolled back once: reported then, never retried
        staged = self.slots.inactive()
        if self.slots.version(staged) != release.version:
            if self.host.busy():
                return
            if not self._stage(release, installed, state):
                return
        if self._may_switch():
            self._switch(release, staged, state)

    def _stage(self, release: ReleaseOffer, installed: str, state: BootState) -> bool:
        self._report(release.rollout_id, release.version, "downloading")
        try:
            info = self.verifier.verify(release.target, release.version, installed)
            bundle = self.verifier.download(info, self.rate_bps, self.host.busy)
            self.slots.install(bundle, extra_site=self.extra_site)
        except DownloadPaused:
            log.info("download of %s paused: terminal busy", release.version)
            return False
        except (UpdateRefused, SlotError) as exc:
            reason = exc.reason if isinstance(exc, UpdateRefused) else str(exc)
            log.error("release %s refused: %s", release.version, reason)
            state.refused[release.version] = reason
            state.save(self.state_file)
            self._report(release.rollout_id, release.version, "failed", reason)
            return False
        self._report(release.rollout_id, release.version, "staged")
        return True

    def _may_switch(self) -> bool:
        if self.host.busy():
            return False
        return in_maintenance(self.windows, self.now()) or self.switch_when_idle

    def _switch(self, release: ReleaseOffer, slot: str, state: BootState) -> None:
        self._report(release.rollout_id, release.version, "switching")
        health_path(self.data).unlink(missing_ok=True)
        state.trial = Trial(
            slot=slot,
            previous=self.slots.active(),
            version=release.version,
            rollout_id=release.rollout_id,
            started_at=time.time(),
        )
        state.save(self.state_file)
        self.slots.switch_to(slot)
        log.info("switched to slot %s (%s); restarting", slot, release.version)
        self.host.request_restart()

    # -- windows and logs ------------------------------------------------------------------

    def _apply_windows(self) -> None:
        now = self.now()
        want = screen_should_be_on(self.windows, now)
        if want != self.screen_on:
            self.host.set_screen(want)
            self.screen_on = want
        if reboot_due(self.windows, now, self.booted_at) and not self.host.busy():
            self.booted_at = now
            self.host.reboot()

    def _serve_logs(self, request: LogRequestOffer) -> None:
        if request.id in self._uploaded:
            return
        # The hub speaks UTC; log lines carry the terminal's local time.
        until = _local(request.until)
        now = datetime.now()
        if request.kind == "debug" and now < until:
            if self._debug_until is None or self._debug_until < until:
                self._debug_until = until
                logging.getLogger().setLevel(logging.DEBUG)
            return
        if self._debug_until is not None and now >= self._debug_until:
            logging.getLogger().setLevel(logging.INFO)
            self._debug_until = None
        since = _local(request.since) if request.since is not None else None
        paths = sorted((self.data / "update").glob("slot-*.log*"))
        text = lines_between(paths, since, until)
        path = LOG_UPLOAD_PATH.format(request_id=request.id)
        self.client.upload(path, text.encode(), "text/plain; charset=utf-8")
        self._uploaded.add(request.id)

    @property
    def log_file(self) -> Path:
        return slot_log(self.data, self.slots.active())


def _local(moment: datetime) -> datetime:
    """A hub time (naive means UTC) as the terminal's naive local time."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone().replace(tzinfo=None)

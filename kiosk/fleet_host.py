"""The app as the fleet agent sees it (``kiosk.agent.AgentHost``).

The agent calls these from its own threads. Anything that touches pygame
or the session is handed to the app loop through the UI queue and waited
for, with a timeout, so the loop stays the only thread that draws.
Nothing returned here carries personal data.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pygame

import kiosk
from drivers.errors import DeviceError
from kiosk.config import ConfigError, load_config
from kiosk.hub_client import HubError, HubUnavailable
from protocol.commands import (
    VOLUME_LEVELS,
    AnnouncementArgs,
    CommandArgs,
    CommandKind,
    MaintenanceArgs,
    NoArgs,
    VolumeArgs,
)

if TYPE_CHECKING:
    from pathlib import Path

    from kiosk.app import App
    from kiosk.devices import DeviceHub

log = logging.getLogger(__name__)

# A command's handler: its kind's arguments (typed by the kind) and the time
# it may take → (ok, result for the operator).
CommandHandler = Callable[[Any, float], tuple[bool, str]]


class FleetHost:
    def __init__(
        self,
        app: App,
        devices: DeviceHub,
        *,
        config_path: Path | None,
        journal_backlog: Callable[[], int] = lambda: 0,
    ) -> None:
        self.app = app
        self.devices = devices
        self.config_path = config_path
        self.journal_backlog = journal_backlog
        self.started = time.monotonic()

    # --- reads (safe from any thread: plain attribute reads) -----------------------------------

    def status_snapshot(self) -> dict[str, Any]:
        app = self.app
        return {
            "version": kiosk.__version__,
            "uptime_s": int(time.monotonic() - self.started),
            "devices": self.devices.health_snapshot(),
            "screen": app.screen.name,
            "session_state": app.session.state.value,
            "maintenance": app.service.maintenance_message is not None,
            "journal_backlog": self.journal_backlog(),
        }

    def personal_data_on_screen(self) -> bool:
        return self.app.nav.personal_data_on_screen()

    # --- work on the UI thread -----------------------------------------------------------------

    def _on_ui(self, fn: Callable[[], Any], timeout_s: float) -> Any:
        done = threading.Event()
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = fn()
            except Exception as exc:  # noqa: BLE001 - the error goes back to the agent as a failed ack
                box["error"] = exc
            finally:
                done.set()

        self.app.ui.post(run)
        if not done.wait(timeout_s):
            raise TimeoutError("the app did not answer in time")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def take_screenshot(self) -> bytes | None:
        def grab() -> bytes | None:
            if self.app.nav.personal_data_on_screen():
                return None  # never upload someone's data; the agent retries later
            self.app.draw()
            buf = io.BytesIO()
            pygame.image.save(self.app.surface, buf, "screen.png")
            return buf.getvalue()

        result: bytes | None = self._on_ui(grab, 10.0)
        return result

    def commands(self) -> dict[CommandKind, CommandHandler]:
        """What each command kind does here; every kind the agent hands to the app."""
        return {
            CommandKind.RESTART: self._restart,
            CommandKind.MAINTENANCE_ON: self._maintenance_on,
            CommandKind.MAINTENANCE_OFF: self._maintenance_off,
            CommandKind.TEST_PRINT: self._test_print,
            CommandKind.RELOAD_CONFIG: self._reload_config,
            CommandKind.RELOAD_CATALOGUE: self._reload_catalogue,
            CommandKind.ANNOUNCEMENT: self._announcement,
            CommandKind.SET_VOLUME: self._set_volume,
        }

    def run_command(
        self, kind: CommandKind, args: CommandArgs, timeout_s: float
    ) -> tuple[bool, str]:
        handler = self.commands().get(kind)
        if handler is None:
            return False, "unknown command"
        try:
            return handler(args, timeout_s)
        except DeviceError as exc:
            return False, exc.detail or type(exc).__name__
        except (TimeoutError, ValueError) as exc:
            return False, str(exc)
        except (HubUnavailable, HubError) as exc:
            return False, f"hub: {exc}"

    def _restart(self, args: NoArgs, timeout_s: float) -> tuple[bool, str]:
        app = self.app
        app.ui.post(app.request_restart)  # after the ack is sent: see AgentHost.run_command
        return True, "restarting"

    def _maintenance_on(self, args: MaintenanceArgs, timeout_s: float) -> tuple[bool, str]:
        app = self.app
        self._on_ui(lambda: app.service.set_maintenance(args.message), timeout_s)
        return True, "maintenance on"

    def _maintenance_off(self, args: NoArgs, timeout_s: float) -> tuple[bool, str]:
        app = self.app
        self._on_ui(lambda: app.service.set_maintenance(None), timeout_s)
        return True, "maintenance off"

    def _test_print(self, args: NoArgs, timeout_s: float) -> tuple[bool, str]:
        self.devices.print_test_page()
        return True, "test page printed"

    def _reload_catalogue(self, args: NoArgs, timeout_s: float) -> tuple[bool, str]:
        # Screens ask the hub on every visit; the offline copy is refreshed now
        # (this runs on an agent thread, so the fetches do not block the UI).
        app = self.app
        try:  # payments turned on or off at the hub come with the reload
            app.flows.hub_offer.refresh()
        except (HubUnavailable, HubError) as exc:  # an older hub: the catalogue still reloads
            log.warning("hub's terminal settings not refreshed: %s", exc)
        kept = app.flows.catalogue.keep_offline()
        self._on_ui(app.nav.refresh_all, timeout_s)
        return True, f"catalogue reloaded; {kept} guides kept for offline use"

    def _announcement(self, args: AnnouncementArgs, timeout_s: float) -> tuple[bool, str]:
        app = self.app
        self._on_ui(lambda: app.service.set_announcement(args.text, args.until), timeout_s)
        return True, "announcement shown"

    def _set_volume(self, args: VolumeArgs, timeout_s: float) -> tuple[bool, str]:
        # The one place the level operators give (1…VOLUME_LEVELS, as people hear
        # it: "音量3") becomes the voice guide's 0-based step.
        app = self.app
        self._on_ui(lambda: app.modes.set_default_volume(args.step - 1), timeout_s)
        return True, f"default volume {args.step} of {VOLUME_LEVELS}"

    def _reload_config(self, args: NoArgs, timeout_s: float) -> tuple[bool, str]:
        """Validate the file first: a bad config is refused, never half-applied."""
        app = self.app
        if self.config_path is None:
            return False, "no config file"
        try:
            load_config(self.config_path)
        except ConfigError as exc:
            return False, "config invalid: " + "; ".join(exc.problems)
        app.ui.post(app.request_restart)
        return True, "config valid; restarting to apply it"

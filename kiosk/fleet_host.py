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
from kiosk.services import HubError, HubUnavailable

if TYPE_CHECKING:
    from pathlib import Path

    from kiosk.app import App
    from kiosk.devices import DeviceHub

log = logging.getLogger(__name__)


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

    def run_command(self, kind: str, args: dict[str, Any], timeout_s: float) -> tuple[bool, str]:
        app = self.app
        try:
            if kind == "restart":
                app.ui.post(app.request_restart)  # after the ack is sent: see AgentHost.run_command
                return True, "restarting"
            if kind == "maintenance_on":
                message = str(args.get("message") or "")
                self._on_ui(lambda: app.service.set_maintenance(message or "设备维护中"), timeout_s)
                return True, "maintenance on"
            if kind == "maintenance_off":
                self._on_ui(lambda: app.service.set_maintenance(None), timeout_s)
                return True, "maintenance off"
            if kind == "test_print":
                self.devices.print_test_page()
                return True, "test page printed"
            if kind == "reload_config":
                return self._reload_config(app)
            if kind == "reload_catalogue":
                # Screens ask the hub on every visit; the offline copy is refreshed now
                # (this runs on an agent thread, so the fetches do not block the UI).
                kept = app.gateway.keep_guides_offline()
                self._on_ui(app.nav.refresh_all, timeout_s)
                return True, f"catalogue reloaded; {kept} guides kept for offline use"
            if kind == "announcement":
                text = str(args.get("text") or "").strip()
                self._on_ui(lambda: app.service.set_announcement(text or None), timeout_s)
                return True, "announcement shown" if text else "announcement cleared"
            if kind == "set_volume":
                step = int(args.get("step", 2))
                self._on_ui(lambda: app.modes.set_default_volume(step), timeout_s)
                return True, f"volume step {step}"
        except DeviceError as exc:
            return False, exc.detail or type(exc).__name__
        except (TimeoutError, ValueError) as exc:
            return False, str(exc)
        except (HubUnavailable, HubError) as exc:
            return False, f"hub: {exc}"
        return False, "unknown command"

    def _reload_config(self, app: App) -> tuple[bool, str]:
        """Validate the file first: a bad config is refused, never half-applied."""
        if self.config_path is None:
            return False, "no config file"
        try:
            load_config(self.config_path)
        except ConfigError as exc:
            return False, "config invalid: " + "; ".join(exc.problems)
        app.ui.post(app.request_restart)
        return True, "config valid; restarting to apply it"

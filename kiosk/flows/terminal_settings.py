"""What the hub offers this terminal: today, whether it takes payments and,
when it does not, where people pay instead (hub/services/terminal_settings.py).

Fetched in the background at start (:meth:`HubOffer.refresh_until`: a
terminal's first start has no credential until the agent has enrolled) and
with each catalogue reload (:meth:`HubOffer.refresh`); the screens read the last answer
(:meth:`HubOffer.pay_elsewhere`) and never wait for the network. Until the
hub has answered once, payments count as on: the hub refuses an order
itself (409, with its sentence) when they are off, so nothing is promised
that the hub would not keep.
"""

from __future__ import annotations

import logging
import threading

from kiosk.flows.api import TERMINAL_SETTINGS, service_path
from kiosk.flows.offline_cache import OfflineCache
from kiosk.hub_client import HubClient, HubError, HubUnavailable
from kiosk.hub_client.models import PayElsewhere, TerminalSettings

log = logging.getLogger(__name__)

KEPT_AS = "terminal-settings"


class HubOffer:
    """The hub's terminal settings, as last fetched."""

    def __init__(self, client: HubClient, *, offline: OfflineCache | None = None) -> None:
        self.client = client
        self.offline = offline
        self._lock = threading.Lock()
        self._settings: TerminalSettings | None = None

    def refresh(self) -> TerminalSettings:
        """Ask the hub (blocks) and remember the answer; the kept copy while the
        hub is down. Raises :class:`~kiosk.hub_client.HubUnavailable` when it
        is down and nothing is kept, :class:`~kiosk.hub_client.HubError` when
        it refuses."""
        path = service_path(TERMINAL_SETTINGS)

        def load() -> TerminalSettings:
            return self.client.call(TerminalSettings, "GET", path)

        settings = self.offline.fetch(KEPT_AS, TerminalSettings, load) if self.offline else load()
        with self._lock:
            self._settings = settings
        return settings

    def refresh_until(self, stop: threading.Event, retry_s: float) -> TerminalSettings | None:
        """:meth:`refresh`, again every ``retry_s`` while the hub cannot be asked
        (not enrolled yet, unreachable with nothing kept), until ``stop`` is set;
        blocks, so run it on a background thread. None when stopped or refused."""
        while not stop.is_set():
            try:
                return self.refresh()
            except HubUnavailable as exc:
                log.info("hub's terminal settings not known yet: %s", exc)
            except HubError as exc:
                log.warning("hub refused its terminal settings: %s", exc)
                return None
            stop.wait(retry_s)
        return None

    @property
    def pay_elsewhere(self) -> PayElsewhere | None:
        """Where to pay instead while the hub takes no payments; None while it
        does (or has not said yet). Never blocks."""
        with self._lock:
            settings = self._settings
        if settings is None or settings.payments.enabled:
            return None
        # A hub that turned payments off always says where to pay; a reply
        # without the sentence still turns 缴费 off, with the terminal's own words.
        return settings.payments.pay_elsewhere or PayElsewhere(zh="", en="")

    @property
    def sandbox_channel(self) -> bool:
        """Whether the hub pays through its sandbox, so the demo's "phone pays"
        button has a route to call (a real channel has none). True until the
        hub has said, as the demo hub is the sandbox."""
        with self._lock:
            settings = self._settings
        return settings is None or settings.payments.channel in (None, "sandbox")

    @property
    def payments_on(self) -> bool:
        """Whether this terminal offers 缴费 (True until the hub has said otherwise)."""
        return self.pay_elsewhere is None

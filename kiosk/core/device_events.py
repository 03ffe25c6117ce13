"""What the devices tell the app, on the app loop's thread (posted by
:mod:`kiosk.devices` through the UI queue): a card was read, a payment
code scanned, a device failed, a device's health changed.

A card starts a visit (on the attract screen) and replaces the identity
of the one before; while out of service it is wiped at once. A payment
code is used only by a screen waiting for one. Faults are journaled
(:mod:`kiosk.fault_log`) and told to the person in plain words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drivers.errors import DeviceError
from kiosk.core.display import Display
from kiosk.core.lifecycle import SessionLifecycle
from kiosk.core.navigator import Navigator
from kiosk.core.service import ServiceState
from kiosk.core.speaker import Speaker
from kiosk.errors import words_for
from kiosk.fault_log import FaultLog
from kiosk.i18n import Translator
from kiosk.session import Identity, Session, SessionState


class DeviceEvents:
    """Implements :class:`kiosk.devices.DeviceEvents`."""

    def __init__(
        self,
        session: Session,
        *,
        clock: Callable[[], float],
        tr: Translator,
        nav: Navigator,
        lifecycle: SessionLifecycle,
        service: ServiceState,
        voice: Speaker,
        faults: FaultLog,
        display: Display,
    ) -> None:
        self.session = session
        self.clock = clock
        self.tr = tr
        self.nav = nav
        self.lifecycle = lifecycle
        self.service = service
        self.voice = voice
        self.faults = faults
        self.display = display

    def on_identity(self, identity: Identity) -> None:
        if self.session.state is SessionState.OUT_OF_SERVICE:
            identity.wipe()
            return
        if not self.session.serving:
            self.lifecycle.begin()
        self.session.touch(self.clock())
        old = self.session.identity
        if old is not None and old is not identity:
            old.wipe()
        self.session.identity = identity
        if not self.nav.screen.on_identity(identity):
            self.lifecycle.show_banner(self.tr("已读取您的证件"), seconds=4)
        self.display.request_redraw()

    def on_payment_code(self, code: Any) -> None:
        """A payment code was scanned: only a screen waiting for one may use it."""
        if self.session.serving:
            self.session.touch(self.clock())
            if not self.nav.screen.on_payment_code(code):
                self.voice.say(self.tr("现在不需要扫码"))

    def on_device_error(self, exc: DeviceError) -> None:
        self.faults.error(exc)
        if not self.session.serving:
            return  # nobody to tell; the health report reaches operators
        self.nav.screen.show_notice(words_for(exc, self.tr), "error")

    def on_health_changed(self) -> None:
        """Device health changed: journal a new fault, re-check what can be served."""
        self.faults.health_changed()
        self.service.check()
        self.nav.refresh_all()

"""Starts the configured devices and turns their callbacks into app events.

Real drivers and simulators are chosen by config (``type = "sim"``); in sim
mode the simulator is started first and the *real* driver is pointed at it
(a pty for the ID-card reader and scanner, a loopback TCP port for the
printer, an in-process card slot for smart cards), so the demo exercises
the same driver code as production. Devices open in order and close in
reverse (STYLE.md). Every callback from a driver thread is forwarded to the
app loop through the :class:`~kiosk.events.UiQueue`; nothing here draws.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from datetime import date
from typing import Any, Protocol

import pygame

from drivers.errors import CardError, DeviceError, DeviceOffline
from kiosk.config import DevicesSection
from kiosk.document_printer import A4_DEVICE, DocumentPrinterDevice, a4_available
from kiosk.events import UiQueue
from kiosk.i18n import N_
from kiosk.session import Identity
from protocol.devices import DeviceHealth, DeviceState, PaperState

log = logging.getLogger(__name__)

DEVICE_NAMES = ("idcard", "smartcard", "printer", "scanner", "speech")

UNAVAILABLE = {
    "idcard": N_("身份证读卡器暂不可用"),
    "smartcard": N_("社保卡读卡器暂不可用"),
    "printer": N_("打印机暂不可用"),
    "scanner": N_("扫码器暂不可用"),
    "speech": N_("语音暂不可用"),
}


class DeviceEvents(Protocol):
    """The app's handlers; called on the app loop's thread."""

    def on_identity(self, identity: Identity) -> None: ...
    def on_device_error(self, exc: DeviceError) -> None: ...
    def on_health_changed(self) -> None: ...
    def on_payment_code(self, code: Any) -> None: ...


class DeviceHub:
    """All devices of one terminal, with their health. Implements ``kiosk.ports.Devices``."""

    def __init__(
        self,
        settings: DevicesSection,
        ui: UiQueue,
        *,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.settings = settings
        self.ui = ui
        self.today = today
        self.events: DeviceEvents | None = None
        self.health: dict[str, DeviceHealth] = {
            name: DeviceHealth(name, DeviceState.OFFLINE, detail="not started")
            for name in DEVICE_NAMES[:4]
        }
        self._lock = threading.Lock()
        self._stack: list[Callable[[], None]] = []  # closers, run in reverse
        self._printer: Any = None
        self._printer_lock = threading.Lock()
        # Simulators (sim mode only)
        self.sim_idcard: Any = None
        self.sim_cards: Any = None
        self.sim_slot: Any = None
        self.sim_printer: Any = None
        self.sim_scanner: Any = None
        self._demo_cards: list[Any] = []
        self._card_cycle: itertools.cycle[Any] | None = None
        self._ss_cycle: itertools.cycle[dict[str, Any]] | None = None
        self._keyboard_decoder: Any = None
        self.documents = DocumentPrinterDevice(settings.document_printer, self._set_health)

    @property
    def demo(self) -> bool:
        return self.settings.simulated

    # --- start and stop ------------------------------------------------------------------------

    def start(self, events: DeviceEvents) -> None:
        self.events = events
        for opener in (
            self._open_idcard,
            self._open_smartcard,
            self._open_printer,
            self._open_scanner,
            self._open_document_printer,
        ):
            try:
                opener()
            except DeviceError as exc:
                log.warning("device failed to open: %s", exc)
            except OSError as exc:
                log.warning("device failed to open: %s", exc)

    def stop(self) -> None:
        while self._stack:
            closer = self._stack.pop()
            try:
                closer()
            except Exception:
                log.exception("closing a device failed")

    # --- health --------------------------------------------------------------------------------

    def _set_health(self, health: DeviceHealth) -> None:
        with self._lock:
            old = self.health.get(health.device)
            self.health[health.device] = health
        if not health.same_condition(old):
            log.info("device %s: %s %s", health.device, health.state.value, health.paper.value)
            if self.events is not None:
                self.ui.post(self.events.on_health_changed)

    def speech_health(self, health: DeviceHealth) -> None:
        """Speech reports through here so the fleet sees it beside the others."""
        self._set_health(health)

    def health_snapshot(self) -> list[dict[str, str]]:
        with self._lock:
            return [h.to_dict() for h in self.health.values()]

    def available(self, device: str) -> tuple[bool, str]:
        with self._lock:
            health = self.health.get(device)
        if device == A4_DEVICE:
            return a4_available(health)
        if health is None:
            return False, UNAVAILABLE.get(device, N_("设备暂不可用"))
        if device == "printer" and health.paper in (PaperState.OUT, PaperState.JAMMED):
            return False, N_("打印机缺纸，暂时无法打印")
        if not health.usable:
            return False, UNAVAILABLE.get(device, N_("设备暂不可用"))
        return True, ""

    def out_of_service_reason(self) -> str | None:
        """Nothing can be served without a way to identify and no printer."""
        if not any(self.available(d)[0] for d in ("idcard", "smartcard", "printer")):
            return N_("证件读卡器和打印机都无法使用")
        return None

    # --- ID-card reader ------------------------------------------------------------------------

    def _open_idcard(self) -> None:
        from drivers.idcard import IdCardWatcher

        cfg = self.settings.idcard
        if cfg.type == "sim":
            from drivers.sim.demo_cards import load_demo_cards
            from drivers.sim.idcard_reader import IdCardSimulator

            self.sim_idcard = IdCardSimulator()
            port = self.sim_idcard.start()
            self._stack.append(self.sim_idcard.stop)
            self._demo_cards = load_demo_cards()
            self._card_cycle = itertools.cycle(self._demo_cards)
            baudrate, poll = 115200, 400
        else:
            port, baudrate, poll = cfg.port, cfg.baudrate, cfg.poll_interval_ms
        watcher = IdCardWatcher(
            port,
            baudrate,
            poll,
            on_card=self._card_read,
            on_removed=lambda: None,
            on_error=self._forward_error,
            on_health=self._set_health,
        )
        watcher.start()
        self._stack.append(watcher.stop)

    def _card_read(self, card: Any) -> None:
        from drivers.idcard import ensure_usable
        from kiosk.card_identity import identity_from_card

        try:
            ensure_usable(card, self.today())
        except CardError as exc:
            card.wipe()
            self._forward_error(exc)
            return
        identity = identity_from_card(card)
        if self.events is not None:
            self.ui.post(self.events.on_identity, identity)

    def _forward_error(self, exc: DeviceError) -> None:
        if self.events is not None:
            self.ui.post(self.events.on_device_error, exc)

    # --- smart cards ---------------------------------------------------------------------------

    def _open_smartcard(self) -> None:
        from drivers.smartcard import CardWatcher, SimCardSlot

        cfg = self.settings.smartcard
        if cfg.type == "sim":
            self.sim_slot = SimCardSlot(
                on_insert=self._ss_inserted, on_remove=lambda: None, on_health=self._set_health
            )
            self.sim_slot.start()
            self._stack.append(self.sim_slot.stop)
            self._ss_cycle = itertools.cycle(_citizens())
        else:
            watcher = CardWatcher(cfg.reader, self._ss_inserted, lambda: None, self._set_health)
            watcher.start()
            self._stack.append(watcher.stop)

    def _ss_inserted(self, _reader_name: str) -> None:
        # Read on a thread of its own: the watcher thread must keep watching.
        threading.Thread(target=self._read_ss_card, name="sscard-read", daemon=True).start()

    def _read_ss_card(self) -> None:
        from drivers.smartcard import SmartCardReader
        from kiosk.card_identity import identity_from_card

        try:
            if self.sim_slot is not None:
                reader = SmartCardReader.from_transport(self.sim_slot)
            else:
                reader = SmartCardReader(self.settings.smartcard.reader)  # type: ignore[union-attr]
            with reader:
                card = reader.read_social_security_card()
        except DeviceError as exc:
            self._forward_error(exc)
            return
        identity = identity_from_card(card)
        if self.events is not None:
            self.ui.post(self.events.on_identity, identity)

    # --- printer -------------------------------------------------------------------------------

    def _open_printer(self) -> None:
        from drivers.printer import open_printer

        settings = self.settings.printer
        if settings.type == "sim":
            from drivers.sim.printer import VirtualPrinter

            self.sim_printer = VirtualPrinter()
            port = self.sim_printer.start()
            self._stack.append(self.sim_printer.stop)
            # The real network driver, pointed at the simulator (same profile).
            settings = settings.model_copy(
                update={"type": "network", "host": "127.0.0.1", "port": port, "timeout": 2.0}
            )
        self._printer = open_printer(settings)
        self._stack.append(self._close_printer)
        self.refresh_printer_health()

    def _close_printer(self) -> None:
        printer, self._printer = self._printer, None
        if printer is not None and hasattr(printer, "close"):
            printer.close()

    def refresh_printer_health(self) -> None:
        """Ask the printer (DLE EOT); no reply is OFFLINE. Blocking: call off the UI thread."""
        if self._printer is None:
            self._set_health(DeviceHealth("printer", DeviceState.NODEVICE, PaperState.UNKNOWN))
            return
        with self._printer_lock:
            try:
                health = self._printer.health()
            except DeviceError as exc:
                health = DeviceHealth(
                    "printer", DeviceState.OFFLINE, PaperState.UNKNOWN, detail=str(exc)
                )
        self._set_health(health)

    def print_receipt(self, receipt: Any) -> None:
        """Blocking; refuses with PaperOut/DeviceOffline before sending anything."""
        if self._printer is None:
            raise DeviceOffline("no printer configured")
        with self._printer_lock:
            try:
                self._printer.print_receipt(receipt)
            finally:
                health = self._safe_health()
        if health is not None:
            self._set_health(health)

    def print_test_page(self) -> None:
        if self._printer is None:
            raise DeviceOffline("no printer configured")
        with self._printer_lock:
            self._printer.print_test_page()

    def _safe_health(self) -> DeviceHealth | None:
        try:
            health: DeviceHealth = self._printer.health()
        except DeviceError:
            return DeviceHealth("printer", DeviceState.OFFLINE, PaperState.UNKNOWN)
        return health

    def _open_document_printer(self) -> None:
        self._stack.extend(c for c in [self.documents.open()] if c is not None)

    def print_document(self, pdf: bytes, title: str) -> None:
        self.documents.print_pdf(pdf, title)  # blocking, until the printer completed it

    # --- scanner -------------------------------------------------------------------------------

    def _open_scanner(self) -> None:
        from drivers.scanner import KeyboardWedgeDecoder, ScannerWatcher

        cfg = self.settings.scanner
        if cfg.type == "keyboard":
            self._keyboard_decoder = KeyboardWedgeDecoder(max_interval_ms=cfg.max_interval_ms)
            self._set_health(DeviceHealth("scanner", DeviceState.ONLINE))
            return
        if cfg.type == "sim":
            from drivers.sim.scanner import ScannerSimulator

            self.sim_scanner = ScannerSimulator()
            port = self.sim_scanner.start()
            self._stack.append(self.sim_scanner.stop)
            baudrate, terminator = 9600, b"\r"
        else:
            port, baudrate, terminator = cfg.port, cfg.baudrate, cfg.terminator.encode()
        watcher = ScannerWatcher(
            port,
            baudrate,
            terminator,
            on_code=self._code_scanned,
            on_error=self._forward_error,
            on_health=self._set_health,
        )
        watcher.start()
        self._stack.append(watcher.stop)

    def _code_scanned(self, code: Any) -> None:
        if self.events is not None:
            self.ui.post(self.events.on_payment_code, code)

    # --- demo affordances (sim mode only) ------------------------------------------------------

    def demo_key(self, key: int) -> bool:
        """F7 place the next demo ID card · F8 lift it · F9 insert/remove a social-security
        card · F10 show a payment code · F11 printer paper full → low → out."""
        if not self.demo:
            return False
        if key == pygame.K_F7 and self.sim_idcard is not None and self._card_cycle is not None:
            self.sim_idcard.remove()
            self.sim_idcard.place(next(self._card_cycle))
        elif key == pygame.K_F8 and self.sim_idcard is not None:
            self.sim_idcard.remove()
        elif key == pygame.K_F9 and self.sim_slot is not None and self._ss_cycle is not None:
            if self.sim_slot.card_present:
                self.sim_slot.remove()
            else:
                from drivers.sim.cards import SocialSecurityCardOS

                self.sim_slot.insert(SocialSecurityCardOS(next(self._ss_cycle)))
        elif key == pygame.K_F10 and self.sim_scanner is not None:
            self.sim_scanner.scan("134567890123456789")  # a WeChat Pay-shaped demo code
        elif key == pygame.K_F11 and self.sim_printer is not None:
            order = [PaperState.FULL, PaperState.LOW, PaperState.OUT]
            current = self.health["printer"].paper
            nxt = order[(order.index(current) + 1) % 3] if current in order else PaperState.FULL
            self.sim_printer.set_paper(nxt)
            threading.Thread(target=self.refresh_printer_health, daemon=True).start()
        else:
            return False
        return True

    def place_demo_card(self, key: str) -> None:
        """Place the demo citizen ``key``'s ID card (tests and the demo menu)."""
        for card in self._demo_cards:
            if card.key == key:
                self.sim_idcard.remove()
                self.sim_idcard.place(card)
                return
        raise KeyError(key)


def _citizens() -> list[dict[str, Any]]:
    import json

    from drivers.sim.demo_cards import CITIZENS_JSON

    data: dict[str, Any] = json.loads(CITIZENS_JSON.read_text(encoding="utf-8"))
    return list(data["citizens"])

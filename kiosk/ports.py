"""What the app needs from the parts around it, as protocols.

The app and screens depend on these, not on drivers or the network, so
tests can hand in fakes and the runtime wires the real ones
(:mod:`kiosk.devices`, :mod:`kiosk.recording`).
"""

from __future__ import annotations

from typing import Any, Protocol


class Devices(Protocol):
    def available(self, device: str) -> tuple[bool, str]:
        """Whether ``device`` can serve now, and if not a msgid saying why (empty
        for a device the terminal does not have, e.g. no A4 printer)."""
        ...

    def out_of_service_reason(self) -> str | None:
        """A msgid when nothing can be served (the out-of-service screen shows it)."""
        ...

    def print_receipt(self, receipt: Any) -> None:
        """Print, blocking (called on a task thread); raises ``DeviceError``."""
        ...

    def print_document(self, pdf: bytes, title: str) -> None:
        """Print a PDF on the A4 printer, blocking until it completed; raises ``DeviceError``."""
        ...

    def demo_key(self, key: int) -> bool:
        """Sim mode only: act on a demo key (place a card, scan a code…)."""
        ...

    def health_snapshot(self) -> list[dict[str, str]]: ...


class Recorder(Protocol):
    def record(self, kind: str, data: dict[str, Any]) -> None:
        """Journal a step before its side effect (never personal data in clear)."""
        ...

    def event(self, kind: str, data: dict[str, Any]) -> None:
        """Queue an event for the hub (call-staff, session summary, faults)."""
        ...

    def screen_changed(self, name: str) -> None: ...

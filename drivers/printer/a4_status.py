"""IPP printer state → device health (RFC 8011 §5.4.11-12, PWG 5100.9).

``printer-state-reasons`` keywords may carry a severity suffix (``-report``,
``-warning``, ``-error``); the keyword before it is what the printer means.
Paper states follow CEN/XFS like the receipt printer's: a printer out of
paper is still ONLINE with paper OUT; a jam is paper JAMMED.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from protocol.devices import DeviceHealth, DeviceState, PaperState

DEVICE = "document_printer"
PRINTER_STOPPED = 5  # printer-state "stopped"
_SUFFIXES = ("-report", "-warning", "-error")
PAPER_OUT = frozenset({"media-empty", "media-needed"})
PAPER_JAM = frozenset({"media-jam"})
PAPER_LOW = frozenset({"media-low"})
OPEN = frozenset({"door-open", "cover-open", "interlock-open"})
BROKEN = frozenset({"toner-empty", "marker-supply-empty", "fuser-over-temp", "other"})
GONE = frozenset({"offline", "shutdown", "connecting-to-device", "timed-out"})
# Worth an operator's visit though the printer still prints.
WARNINGS = frozenset({"toner-low", "marker-supply-low", "media-low"})


def reason_keyword(reason: str) -> str:
    for suffix in _SUFFIXES:
        if reason.endswith(suffix):
            return reason[: -len(suffix)]
    return reason


@dataclass(frozen=True)
class A4Status:
    """What an IPP printer says about itself."""

    printer_state: int
    reasons: frozenset[str]  # keywords without suffix, "none" dropped
    accepting: bool = True

    @classmethod
    def of(cls, state: int, reasons: Iterable[str], accepting: bool = True) -> A4Status:
        keys = frozenset(reason_keyword(r) for r in reasons if r and r != "none")
        return cls(state, keys, accepting)

    @property
    def paper(self) -> PaperState:
        if self.reasons & PAPER_JAM:
            return PaperState.JAMMED
        if self.reasons & PAPER_OUT:
            return PaperState.OUT
        if self.reasons & PAPER_LOW:
            return PaperState.LOW
        return PaperState.FULL

    @property
    def can_print(self) -> bool:
        """Whether a job sent now would come out."""
        blocked = self.reasons & (PAPER_OUT | PAPER_JAM | OPEN | BROKEN | GONE)
        return not blocked and self.accepting and self.printer_state != PRINTER_STOPPED

    def health(self) -> DeviceHealth:
        if self.reasons & GONE:
            state = DeviceState.OFFLINE
        elif self.reasons & BROKEN:
            state = DeviceState.HWERROR
        elif self.reasons & OPEN:
            state = DeviceState.USERERROR  # staff must close the door
        else:
            state = DeviceState.ONLINE  # CEN/XFS: paper out is the paper's state
        detail = ", ".join(sorted(self.reasons)) or "ready"
        return DeviceHealth(DEVICE, state, paper=self.paper, detail=detail)

"""DLE EOT real-time status (ESC/POS ``10 04 n``) → :class:`PrinterStatus`.

Reply bytes (one per query) always have bit 1 and bit 4 set and bits 0 and
7 clear (``b & 0x93 == 0x12``); anything else is not a status byte.
- n = 1 printer: bit 3 = offline.
- n = 2 offline cause: bit 2 = cover open, bit 5 = stopped by paper end,
  bit 6 = error.
- n = 4 roll paper sensor: bits 2–3 = near end, bits 5–6 = paper end
  (python-escpos: 0x12 ok, 0x1E near end, 0x72 out; escpos.md).
An EMPTY reply means the printer did not answer: offline, never "paper OK".
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.errors import ProtocolError
from protocol.devices import DeviceHealth, DeviceState, PaperState

DLE_EOT_PRINTER = b"\x10\x04\x01"
DLE_EOT_OFFLINE_CAUSE = b"\x10\x04\x02"
DLE_EOT_PAPER = b"\x10\x04\x04"
STATUS_FIXED_MASK = 0x93
STATUS_FIXED_BITS = 0x12


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer said about itself. ``online`` False with a reason below
    (paper out, cover open) is still a printer that answered."""

    online: bool
    paper: PaperState
    cover_open: bool = False
    error: bool = False

    def health(self, detail: str = "") -> DeviceHealth:
        if self.error:
            state = DeviceState.HWERROR
        elif self.cover_open:
            state = DeviceState.USERERROR  # someone has to close the cover
        else:
            # CEN/XFS: a printer out of paper is still ONLINE; paper says OUT.
            state = DeviceState.ONLINE
        return DeviceHealth("printer", state, paper=self.paper, detail=detail)


def check_status_byte(reply: bytes, query: bytes) -> int:
    if len(reply) != 1 or reply[0] & STATUS_FIXED_MASK != STATUS_FIXED_BITS:
        raise ProtocolError(f"reply {reply.hex()} to DLE EOT {query[-1]} is not a status byte")
    return reply[0]


def parse_status(printer: int, offline_cause: int, paper: int) -> PrinterStatus:
    """Combine the three status bytes (already checked) into a PrinterStatus."""
    if paper & 0x60:
        paper_state = PaperState.OUT
    elif paper & 0x0C:
        paper_state = PaperState.LOW
    else:
        paper_state = PaperState.FULL
    if offline_cause & 0x20:
        paper_state = PaperState.OUT
    return PrinterStatus(
        online=not printer & 0x08,
        paper=paper_state,
        cover_open=bool(offline_cause & 0x04),
        error=bool(offline_cause & 0x40),
    )

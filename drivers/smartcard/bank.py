"""Reading the public face of a bank card (PBOC 3.0 / EMV), never keeping its PAN.

Flow from smartcards.md: find the application (PSE, else PPSE, else the
UnionPay AIDs directly), SELECT it, GET PROCESSING OPTIONS with the PDOL
filled in, then READ RECORD each record the AFL lists until the PAN (5A or
track 2 equivalent 57) and expiry (5F24) are found. The PAN is masked
before it leaves this module; raw record bytes live in ``bytearray`` buffers
that are wiped afterwards (payments-and-privacy.md, 等保 2.0 §8.1.4.10).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from drivers.errors import ProtocolError

from . import tlv
from .apdu import (
    SW_CONDITIONS_NOT_SATISFIED,
    SW_FILE_NOT_FOUND,
    SW_FUNCTION_NOT_SUPPORTED,
    SW_RECORD_NOT_FOUND,
    SW_SELECTED_FILE_INVALIDATED,
    CardTransport,
    CommandApdu,
    exchange,
    read_record,
    select_by_name,
)
from .errors import CardNotReadableHere, UnreadableReason
from .models import BankCard, mask_pan

PSE = b"1PAY.SYS.DDF01"  # contact payment system environment
PPSE = b"2PAY.SYS.DDF01"  # contactless
UNIONPAY_AIDS = (
    bytes.fromhex("A000000333010101"),  # debit
    bytes.fromhex("A000000333010102"),  # credit
    bytes.fromhex("A000000333010103"),  # quasi-credit
    bytes.fromhex("A000000333010106"),  # e-cash
)

TAG_FCI_ISSUER_DATA = 0xBF0C
TAG_APP_TEMPLATE = 0x61
TAG_AID = 0x4F
TAG_LABEL = 0x50
TAG_PRIORITY = 0x87
TAG_SFI = 0x88
TAG_PDOL = 0x9F38
TAG_AFL = 0x94
TAG_RESPONSE_FORMAT1 = 0x80
TAG_PAN = 0x5A
TAG_TRACK2 = 0x57
TAG_EXPIRY = 0x5F24

# Bounds: a directory or AFL longer than this is a broken card, not a reason to loop.
MAX_DIRECTORY_RECORDS = 16
MAX_AFL_RECORDS = 48


@dataclass(frozen=True)
class Application:
    aid: bytes
    label: str = ""
    priority: int = 0  # 1 = highest; 0 = none given (sorted last)


def _terminal_values(now: datetime, unpredictable: bytes) -> dict[int, bytes]:
    """Values this terminal supplies for PDOL tags (EMV Book 3 / PBOC 3.0 qPBOC).

    Contactless qPBOC cards reject an empty PDOL (smartcards.md), so the
    usual tags carry plausible values: an unattended, online-only terminal in
    China (country and currency 156) asking for a zero-amount inquiry.
    """
    return {
        0x9F66: bytes.fromhex("26000000"),  # TTQ: qPBOC + contact chip, online capable
        0x9F02: bytes(6),  # amount, authorised: 0 (we only read)
        0x9F03: bytes(6),  # amount, other
        0x9F1A: bytes.fromhex("0156"),  # terminal country code: China
        0x5F2A: bytes.fromhex("0156"),  # transaction currency: CNY
        0x95: bytes(5),  # TVR
        0x9A: bytes.fromhex(now.strftime("%y%m%d")),
        0x9F21: bytes.fromhex(now.strftime("%H%M%S")),
        0x9C: b"\x31",  # transaction type: balance inquiry
        0x9F37: unpredictable,
        0x9F35: b"\x25",  # terminal type: unattended, online only
        0x9F33: bytes.fromhex("E0E1C8"),  # terminal capabilities
        0x9F40: bytes.fromhex("6000F0A001"),  # additional capabilities
        0xDF60: b"\x00",  # CAPP transaction indicator
        0x9F7A: b"\x00",  # e-cash terminal support indicator: not used
    }


def build_pdol_data(
    pdol: bytes,
    *,
    now: Callable[[], datetime] = datetime.now,
    rng: Callable[[int], bytes] = os.urandom,
) -> bytes:
    """Concatenate the values the PDOL asks for, each cut or zero-padded to its length."""
    requested = tlv.parse_dol(pdol)
    total = sum(length for _tag, length in requested)
    if total > 250:  # must fit one short APDU with the 83 tag and its length
        raise ProtocolError(f"PDOL asks for {total} bytes")
    values = _terminal_values(now(), rng(4))
    out = bytearray()
    for tag, length in requested:
        value = values.get(tag, b"")
        # EMV Book 3 §5.4: a longer value is truncated, a shorter one padded.
        out += value[:length].ljust(length, b"\x00")
    return bytes(out)


def _applications_in(items: list[tlv.Tlv]) -> list[Application]:
    apps = []
    for template in tlv.find_all(items, TAG_APP_TEMPLATE):
        children = template.children()
        aid = tlv.find(children, TAG_AID)
        if not aid:
            continue
        label = tlv.find(children, TAG_LABEL) or b""
        priority = tlv.find(children, TAG_PRIORITY) or b"\x00"
        apps.append(Application(aid, label.decode("ascii", "replace").strip(), priority[0] & 0x0F))
    return apps


def _directory(transport: CardTransport) -> list[Application]:
    """Applications listed by the PSE (contact) or PPSE (contactless) directory."""
    response = exchange(transport, select_by_name(PSE))
    apps: list[Application] = []
    if response.ok:
        fci = tlv.parse(response.data)
        apps = _applications_in(fci)
        sfi = tlv.find(fci, TAG_SFI)
        if sfi:
            if len(sfi) != 1 or not 1 <= sfi[0] <= 30:
                raise ProtocolError("PSE directory SFI is invalid")
            for record in range(1, MAX_DIRECTORY_RECORDS + 1):
                rec = exchange(transport, read_record(record, (sfi[0] << 3) | 4))
                if not rec.ok:
                    break  # 6A83: no more records
                apps += _applications_in(tlv.parse(rec.data))
    if not apps:
        response = exchange(transport, select_by_name(PPSE))
        if response.ok:
            apps = _applications_in(tlv.parse(response.data))
    return sorted(apps, key=lambda a: a.priority or 16)


def select_application(transport: CardTransport) -> tuple[Application, bytes]:
    """Select the best payment application; returns it and its FCI."""
    candidates = _directory(transport) or [Application(aid) for aid in UNIONPAY_AIDS]
    blocked = False
    for app in candidates:
        response = exchange(transport, select_by_name(app.aid))
        if response.ok:
            label = app.label or (
                (tlv.find(response.data, TAG_LABEL) or b"").decode("ascii", "replace").strip()
            )
            return Application(app.aid, label, app.priority), response.data
        if response.sw in (SW_SELECTED_FILE_INVALIDATED, SW_FUNCTION_NOT_SUPPORTED):
            blocked = True
        elif response.sw != SW_FILE_NOT_FOUND:
            raise ProtocolError(f"SELECT AID answered {response.sw:04X}", code=response.sw)
    if blocked:
        raise CardNotReadableHere(
            UnreadableReason.APPLICATION_BLOCKED, "payment application blocked"
        )
    raise CardNotReadableHere(UnreadableReason.UNKNOWN_CARD, "no payment application")


def get_processing_options(transport: CardTransport, fci: bytes) -> tuple[bytes, list[tlv.Tlv]]:
    """GPO with the PDOL filled in; returns the AFL and the response objects."""
    pdol = tlv.find(fci, TAG_PDOL) or b""
    data = tlv.encode(0x83, build_pdol_data(pdol))
    response = exchange(transport, CommandApdu(0x80, 0xA8, 0x00, 0x00, data, 0x00))
    if response.sw == SW_CONDITIONS_NOT_SATISFIED:
        raise ProtocolError("card refused GET PROCESSING OPTIONS (6985)", code=response.sw)
    if not response.ok:
        raise ProtocolError(f"GET PROCESSING OPTIONS answered {response.sw:04X}", code=response.sw)
    items = tlv.parse(response.data)
    if items and items[0].tag == TAG_RESPONSE_FORMAT1:
        # Format 1: AIP (2 bytes) followed by the AFL, no tags.
        return items[0].value[2:], items
    return tlv.find(items, TAG_AFL) or b"", items


def _afl_records(afl: bytes) -> list[tuple[int, int]]:
    if len(afl) % 4:
        raise ProtocolError(f"AFL length {len(afl)} is not a multiple of 4")
    out = []
    for i in range(0, len(afl), 4):
        sfi, first, last = afl[i] >> 3, afl[i + 1], afl[i + 2]
        if not 1 <= sfi <= 30 or first == 0 or last < first:
            raise ProtocolError(f"AFL entry {i // 4} is invalid")
        out += [(sfi, rec) for rec in range(first, last + 1)]
    if len(out) > MAX_AFL_RECORDS:
        raise ProtocolError(f"AFL lists {len(out)} records")
    return out


def _luhn_ok(digits: bytearray) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = d - 0x30
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


class _CardData:
    """PAN digits and expiry gathered from records, in a wipeable buffer."""

    def __init__(self) -> None:
        self.pan = bytearray()  # ASCII digits
        self.expiry = ""

    def take(self, items: list[tlv.Tlv]) -> None:
        for item in tlv.walk(items):
            if item.tag == TAG_PAN and not self.pan:
                self.pan += bytearray(item.value.hex().rstrip("f").upper(), "ascii")
            elif item.tag == TAG_TRACK2:
                track = bytearray(item.value.hex().upper(), "ascii")
                sep = track.find(b"D")
                if sep > 0:
                    if not self.pan:
                        self.pan += track[:sep]
                    if not self.expiry and len(track) >= sep + 5:
                        self.expiry = track[sep + 1 : sep + 5].decode()
                track[:] = bytes(len(track))
            elif item.tag == TAG_EXPIRY and len(item.value) >= 2:
                self.expiry = item.value[:2].hex()

    @property
    def complete(self) -> bool:
        return bool(self.pan) and bool(self.expiry)

    def masked(self) -> str:
        if not (12 <= len(self.pan) <= 19) or not self.pan.isdigit():
            raise ProtocolError(f"PAN field has an invalid format ({len(self.pan)} characters)")
        if not _luhn_ok(self.pan):
            raise ProtocolError("PAN fails the Luhn check")
        return mask_pan(self.pan.decode("ascii"))

    def wipe(self) -> None:
        self.pan[:] = bytes(len(self.pan))
        self.pan.clear()


def read_bank_card(transport: CardTransport) -> BankCard:
    """Read PAN (masked here), expiry and AID from a connected bank card."""
    app, fci = select_application(transport)
    afl, gpo_items = get_processing_options(transport, fci)
    found = _CardData()
    try:
        found.take(gpo_items)  # qPBOC may answer track 2 right in the GPO response
        for sfi, record in _afl_records(afl):
            if found.complete:
                break
            response = exchange(transport, read_record(record, (sfi << 3) | 4))
            if response.sw == SW_RECORD_NOT_FOUND:
                continue
            if not response.ok:
                raise ProtocolError(
                    f"READ RECORD {record} SFI {sfi} answered {response.sw:04X}", code=response.sw
                )
            found.take(tlv.parse(response.data))
        if not found.pan:
            raise ProtocolError("card records hold no PAN")
        if not found.expiry.isdigit() or len(found.expiry) != 4:
            raise ProtocolError("card records hold no valid expiry date")
        return BankCard(
            pan_masked=found.masked(),
            expiry=found.expiry,
            aid=app.aid.hex().upper(),
            label=app.label,
        )
    finally:
        found.wipe()

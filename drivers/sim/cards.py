"""Emulated card operating systems: a social-security card and a UnionPay bank card.

They implement virtualsmartcard's ``SmartcardOS`` interface (``getATR()``,
``powerUp()``, ``powerDown()``, ``reset()``, ``execute(apdu) -> data + SW``)
by duck typing, so :class:`drivers.smartcard.SimTransport` uses them
in-process without virtualsmartcard, and ``drivers.sim.vpcd_card`` plugs the
same objects into ``VirtualICC`` to serve them to pcscd through vpcd.

Built from a demo citizen of ``config/demo/citizens.json``. ``sw_mode``
forces the T=0 behaviours the reader must handle (smartcards.md):
``"61xx"`` answers every data-returning command with ``61 len`` (fetch with
GET RESPONSE); ``"6Cxx"`` answers any Le other than the exact length with
``6C len``.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from typing import Literal

from drivers.smartcard import tlv
from drivers.smartcard.bank import PPSE, PSE
from drivers.smartcard.social_security import SSSE_AID

SwMode = Literal["61xx", "6Cxx"] | None

SW_OK = b"\x90\x00"
SW_WRONG_LENGTH = b"\x67\x00"
SW_SECURITY = b"\x69\x82"
SW_CONDITIONS = b"\x69\x85"
SW_NO_CURRENT_EF = b"\x69\x86"
SW_NOT_FOUND = b"\x6a\x82"
SW_RECORD_NOT_FOUND = b"\x6a\x83"
SW_WRONG_P1P2 = b"\x6b\x00"
SW_INS = b"\x6d\x00"
SW_CLA = b"\x6e\x00"


def make_atr(historical: bytes) -> bytes:
    """A T=0 ATR (``3B 6x 00 00`` + historical bytes): TB1 = TC1 = 0, no TCK needed."""
    if len(historical) > 15:
        raise ValueError("at most 15 historical bytes")
    return bytes((0x3B, 0x60 | len(historical), 0x00, 0x00)) + historical


def bcd(digits: str) -> bytes:
    return bytes.fromhex(digits if len(digits) % 2 == 0 else "0" + digits)


class Apdu:
    """A parsed short command APDU (ISO 7816-3 cases 1–4)."""

    def __init__(self, raw: bytes) -> None:
        if len(raw) < 4:
            raise ValueError("APDU shorter than 4 bytes")
        self.cla, self.ins, self.p1, self.p2 = raw[0], raw[1], raw[2], raw[3]
        self.data = b""
        self.le: int | None = None
        if len(raw) == 5:
            self.le = raw[4] or 256
        elif len(raw) > 5:
            lc = raw[4]
            if len(raw) == 5 + lc:
                self.data = raw[5:]
            elif len(raw) == 6 + lc:
                self.data = raw[5:-1]
                self.le = raw[-1] or 256
            else:
                raise ValueError("Lc does not match the APDU length")


class CardOSBase(abc.ABC):
    """Duck-typed ``virtualsmartcard.VirtualSmartcard.SmartcardOS`` with T=0 quirks."""

    atr = make_atr(b"HUIMIN-CARD")

    def __init__(self, sw_mode: SwMode = None) -> None:
        self.sw_mode = sw_mode
        self._pending = b""  # data waiting for GET RESPONSE
        self.commands: list[bytes] = []  # every APDU received (for tests)

    # virtualsmartcard's interface -------------------------------------------------
    def getATR(self) -> bytes:  # noqa: N802 - virtualsmartcard's name
        return self.atr

    def powerUp(self) -> None:  # noqa: N802
        self.reset()

    def powerDown(self) -> None:  # noqa: N802
        self.reset()

    def reset(self) -> None:
        self._pending = b""
        self.on_reset()

    def execute(self, msg: bytes) -> bytes:
        self.commands.append(bytes(msg))
        try:
            apdu = Apdu(bytes(msg))
        except ValueError:
            return SW_WRONG_LENGTH
        if apdu.ins == 0xC0 and apdu.cla == 0x00:
            return self._get_response(apdu)
        self._pending = b""
        data, sw = self.handle(apdu)
        if sw != SW_OK:
            return sw
        return self._deliver(apdu, data)

    # subclasses ---------------------------------------------------------------------
    def on_reset(self) -> None:  # noqa: B027 - optional hook, most cards keep no state
        """Forget the selected application/file."""

    @abc.abstractmethod
    def handle(self, apdu: Apdu) -> tuple[bytes, bytes]:
        """Return (data, SW) for one command."""

    # T=0 response behaviour ---------------------------------------------------------
    def _deliver(self, apdu: Apdu, data: bytes) -> bytes:
        if not data:
            return SW_OK
        if self.sw_mode == "61xx":
            self._pending = data
            return bytes((0x61, len(data) & 0xFF))
        if self.sw_mode == "6Cxx" and apdu.le != len(data):
            return bytes((0x6C, len(data) & 0xFF))
        if apdu.le is not None and apdu.le < len(data):
            return bytes((0x6C, len(data) & 0xFF))
        return data + SW_OK

    def _get_response(self, apdu: Apdu) -> bytes:
        if not self._pending:
            return SW_CONDITIONS
        want = apdu.le or 256
        chunk, self._pending = self._pending[:want], self._pending[want:]
        if self._pending:
            return chunk + bytes((0x61, len(self._pending) & 0xFF))
        return chunk + SW_OK


class SocialSecurityCardOS(CardOSBase):
    """The SSSE application of a social-security card (LD/T 32-2015 subset).

    ``psam_required=True`` emulates cards that refuse the holder records
    (EF06) with SW 6982 until a PSAM has authenticated. ``omit_records``
    leaves holder records out (READ RECORD answers 6A83), as issuers that
    never wrote e.g. 出生地 (0C) do.
    """

    atr = make_atr(b"HUIMIN-SSCARD")

    def __init__(
        self,
        citizen: dict[str, str],
        *,
        psam_required: bool = False,
        sw_mode: SwMode = None,
        omit_records: Iterable[int] = (),
    ) -> None:
        super().__init__(sw_mode)
        self.psam_required = psam_required
        name = citizen["name"].encode("gbk")[:30].ljust(30, b"\x00")
        self.files: dict[int, dict[int, bytes]] = {
            0xEF05: {
                0x01: bytes.fromhex("410200") + b"HUIMIN-DEMO-0",  # card identification code
                0x07: citizen["ss_card_number"].encode("ascii"),
            },
            0xEF06: {
                0x08: citizen["id_number"].encode("ascii"),
                0x09: name,
                0x0A: citizen["sex"].encode("ascii"),
                0x0B: bcd(citizen["nation"]),
                0x0C: bcd(citizen["id_number"][:6]),
                0x0D: bcd(citizen["birth"]),
            },
        }
        if citizen.get("ss_card_issued"):
            # 发卡日期 (EF05 record 05, BCD YYYYMMDD): with the card number it is
            # the card's evidence for a person session (DESIGN §7).
            self.files[0xEF05][0x05] = bcd(citizen["ss_card_issued"])
        for record in omit_records:
            self.files[0xEF06].pop(record, None)
        self.on_reset()

    def on_reset(self) -> None:
        self.ssse_selected = False
        self.current_ef: int | None = None

    def handle(self, apdu: Apdu) -> tuple[bytes, bytes]:
        if apdu.cla != 0x00:
            return b"", SW_CLA
        if apdu.ins == 0xA4:
            return self._select(apdu)
        if apdu.ins == 0xB2:
            return self._read_record(apdu)
        return b"", SW_INS

    def _select(self, apdu: Apdu) -> tuple[bytes, bytes]:
        if apdu.p1 == 0x04:
            if apdu.data != SSSE_AID:
                return b"", SW_NOT_FOUND
            self.ssse_selected, self.current_ef = True, None
            fci = tlv.encode(0x6F, tlv.encode(0x84, SSSE_AID) + tlv.encode(0xA5, b""))
            return fci, SW_OK
        if apdu.p1 == 0x02 and len(apdu.data) == 2:
            fid = int.from_bytes(apdu.data, "big")
            if not self.ssse_selected or fid not in self.files:
                return b"", SW_NOT_FOUND
            self.current_ef = fid
            return b"", SW_OK
        return b"", SW_WRONG_P1P2

    def _read_record(self, apdu: Apdu) -> tuple[bytes, bytes]:
        if not self.ssse_selected:
            return b"", SW_NO_CURRENT_EF
        sfi = apdu.p2 >> 3
        # ISO 7816-4: P2 low bits 000 = record identifier P1, 100 = record number P1;
        # on this card identifier = number = tag.
        if apdu.p2 & 0x07 not in (0x00, 0x04):
            return b"", SW_WRONG_P1P2
        fid = {5: 0xEF05, 6: 0xEF06}.get(sfi) if sfi else self.current_ef
        if fid is None:
            return b"", SW_NO_CURRENT_EF if not sfi else SW_NOT_FOUND
        self.current_ef = fid
        value = self.files[fid].get(apdu.p1)
        if value is None:
            return b"", SW_RECORD_NOT_FOUND
        if self.psam_required and fid == 0xEF06:
            return b"", SW_SECURITY
        return bytes((apdu.p1, len(value))) + value, SW_OK


UNIONPAY_DEBIT = bytes.fromhex("A000000333010101")
# qPBOC-style PDOL: TTQ, amounts, country, TVR, currency, date, type, unpredictable number.
DEFAULT_PDOL = bytes.fromhex("9F660495059F02069F03069F1A025F2A029A039C019F3704")
AFL = bytes.fromhex("10010200")  # SFI 2, records 1–2


class BankCardOS(CardOSBase):
    """A UnionPay debit application (PBOC 3.0 subset) carrying the citizen's demo PAN.

    ``contactless=True`` answers only the PPSE (like a card on an NFC
    reader); otherwise the contact PSE with its directory file (SFI 1).
    GPO requires the PDOL data (an empty one is refused with 6985, as
    qPBOC cards do). Records: SFI 2 record 1 holds track 2 equivalent (57)
    and holder name (5F20); record 2 holds PAN (5A) and expiry (5F24).
    """

    atr = make_atr(b"HUIMIN-UNIONPAY")

    def __init__(
        self,
        citizen: dict[str, str],
        *,
        contactless: bool = False,
        sw_mode: SwMode = None,
        pdol: bytes = DEFAULT_PDOL,
    ) -> None:
        super().__init__(sw_mode)
        self.contactless = contactless
        self.pdol = pdol
        self.pdol_length = sum(length for _tag, length in tlv.parse_dol(pdol))
        pan = citizen["bank_pan"]
        expiry = citizen["bank_expiry"]  # YYMM
        pan_bcd = bytes.fromhex(pan + ("F" if len(pan) % 2 else ""))
        track2 = pan + "D" + expiry + "220" + "0000000000"
        self.records: dict[tuple[int, int], bytes] = {
            (1, 1): tlv.encode(0x70, self._app_template()),
            (2, 1): tlv.encode(
                0x70,
                tlv.encode(0x57, bytes.fromhex(track2 + ("F" if len(track2) % 2 else "")))
                + tlv.encode(0x5F20, b" /"),
            ),
            (2, 2): tlv.encode(
                0x70,
                tlv.encode(0x5A, pan_bcd)
                + tlv.encode(0x5F24, bytes.fromhex(expiry + "31"))
                + tlv.encode(0x5F25, bytes.fromhex("200101"))
                + tlv.encode(0x5F34, b"\x01"),
            ),
        }
        self.gpo_data: list[bytes] = []  # PDOL data received (for tests)
        self.on_reset()

    def _app_template(self) -> bytes:
        return tlv.encode(
            0x61,
            tlv.encode(0x4F, UNIONPAY_DEBIT)
            + tlv.encode(0x50, b"UnionPay Debit")
            + tlv.encode(0x87, b"\x01"),
        )

    def on_reset(self) -> None:
        self.selected: bytes | None = None

    def handle(self, apdu: Apdu) -> tuple[bytes, bytes]:
        if apdu.cla == 0x00 and apdu.ins == 0xA4 and apdu.p1 == 0x04:
            return self._select(apdu.data)
        if apdu.cla == 0x00 and apdu.ins == 0xB2:
            return self._read_record(apdu)
        if apdu.cla == 0x80 and apdu.ins == 0xA8:
            return self._gpo(apdu.data)
        return b"", SW_INS if apdu.cla in (0x00, 0x80) else SW_CLA

    def _select(self, name: bytes) -> tuple[bytes, bytes]:
        if name == PSE and not self.contactless:
            self.selected = PSE
            return tlv.encode(
                0x6F, tlv.encode(0x84, PSE) + tlv.encode(0xA5, tlv.encode(0x88, b"\x01"))
            ), SW_OK
        if name == PPSE and self.contactless:
            self.selected = PPSE
            body = tlv.encode(0xA5, tlv.encode(0xBF0C, self._app_template()))
            return tlv.encode(0x6F, tlv.encode(0x84, PPSE) + body), SW_OK
        if name == UNIONPAY_DEBIT:
            self.selected = name
            a5 = tlv.encode(0x50, b"UnionPay Debit") + tlv.encode(0x87, b"\x01")
            a5 += tlv.encode(0x9F38, self.pdol) + tlv.encode(0x5F2D, b"zhen")
            return tlv.encode(0x6F, tlv.encode(0x84, name) + tlv.encode(0xA5, a5)), SW_OK
        return b"", SW_NOT_FOUND

    def _read_record(self, apdu: Apdu) -> tuple[bytes, bytes]:
        if apdu.p2 & 0x07 != 0x04:
            return b"", SW_WRONG_P1P2
        sfi = apdu.p2 >> 3
        allowed = self.selected == PSE if sfi == 1 else self.selected == UNIONPAY_DEBIT
        if not allowed:
            return b"", SW_CONDITIONS
        record = self.records.get((sfi, apdu.p1))
        if record is None:
            return b"", SW_RECORD_NOT_FOUND
        return record, SW_OK

    def _gpo(self, data: bytes) -> tuple[bytes, bytes]:
        if self.selected != UNIONPAY_DEBIT:
            return b"", SW_CONDITIONS
        if len(data) < 2 or data[0] != 0x83 or data[1] != len(data) - 2:
            return b"", SW_WRONG_LENGTH
        pdol_data = data[2:]
        self.gpo_data.append(pdol_data)
        if self.pdol_length and not pdol_data:
            return b"", SW_CONDITIONS  # qPBOC cards reject an empty PDOL
        if len(pdol_data) != self.pdol_length:
            return b"", SW_WRONG_LENGTH
        aip = bytes.fromhex("7C00")
        return tlv.encode(0x77, tlv.encode(0x82, aip) + tlv.encode(0x94, AFL)), SW_OK


class UnknownCardOS(CardOSBase):
    """A card with none of our applications (e.g. a transit or hotel card)."""

    atr = make_atr(b"HUIMIN-OTHER")

    def handle(self, apdu: Apdu) -> tuple[bytes, bytes]:
        if apdu.ins == 0xA4:
            return b"", SW_NOT_FOUND
        return b"", SW_INS

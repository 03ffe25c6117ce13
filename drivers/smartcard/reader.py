"""SmartCardReader: the public face for reading social-security and bank cards."""

from __future__ import annotations

import logging
from types import TracebackType

from . import bank, social_security
from .apdu import CardTransport, exchange, select_by_name
from .errors import CardNotReadableHere, UnreadableReason
from .models import BankCard, CardKind, SocialSecurityCard
from .transport import PcscTransport

log = logging.getLogger(__name__)


class SmartCardReader:
    """Reads the card in one reader; use as a context manager around one card session.

    ``SmartCardReader(reader)`` talks PC/SC to the first reader whose name
    contains ``reader`` ("" = first reader). :meth:`from_transport` runs the
    same logic over any transport (the simulator). Entering connects to the
    card (raises :class:`~drivers.smartcard.errors.ReaderNotFound` or
    :class:`~drivers.smartcard.errors.NoCard`); leaving disconnects.

    Every read raises a :class:`drivers.errors.DeviceError` subclass on
    failure — ``CardNotReadableHere`` (PSAM required, unknown card, blocked),
    ``CardRemoved``, ``ProtocolError`` — and never puts card numbers in
    messages or logs.
    """

    def __init__(self, reader: str = "") -> None:
        self._transport: CardTransport = PcscTransport(reader)
        self._connected = False
        self.atr = b""

    @classmethod
    def from_transport(cls, transport: CardTransport) -> SmartCardReader:
        self = cls.__new__(cls)
        self._transport = transport
        self._connected = False
        self.atr = b""
        return self

    def __enter__(self) -> SmartCardReader:
        self.atr = self._transport.connect()
        self._connected = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._connected = False
        self._transport.disconnect()

    def _require_connected(self) -> CardTransport:
        if not self._connected:
            raise RuntimeError("use SmartCardReader as a context manager before reading")
        return self._transport

    def read_social_security_card(self) -> SocialSecurityCard:
        """Read the SSSE application (number, name, sex, nation, birth date)."""
        card = social_security.read_social_security_card(self._require_connected())
        log.info("read social-security card %r", card)
        return card

    def read_bank_card(self) -> BankCard:
        """Read masked PAN, expiry and AID; the full PAN never leaves the driver."""
        card = bank.read_bank_card(self._require_connected())
        log.info("read bank card %r", card)
        return card

    def detect_card_kind(self) -> CardKind:
        """Which kind of card is inserted: SSSE present → social security, else a
        payment application → bank; raises CardNotReadableHere(UNKNOWN_CARD)."""
        transport = self._require_connected()
        if exchange(transport, select_by_name(social_security.SSSE_AID)).ok:
            return CardKind.SOCIAL_SECURITY
        for name in (bank.PSE, bank.PPSE, *bank.UNIONPAY_AIDS):
            if exchange(transport, select_by_name(name)).ok:
                return CardKind.BANK
        raise CardNotReadableHere(
            UnreadableReason.UNKNOWN_CARD, "no SSSE and no payment application"
        )

    def read_any(self) -> SocialSecurityCard | BankCard:
        """Detect the kind of card and read it."""
        kind = self.detect_card_kind()
        if kind is CardKind.SOCIAL_SECURITY:
            return self.read_social_security_card()
        return self.read_bank_card()

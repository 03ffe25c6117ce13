"""Social-security and bank cards over PC/SC (ISO 7816 APDUs).

Layering (STYLE.md): a transport primitive ``transmit(apdu) -> (data, sw1,
sw2)`` — :class:`PcscTransport` (pyscard) or :class:`SimTransport` /
:class:`SimCardSlot` (emulated card OS in-process) — with all APDU and TLV
logic above it (``apdu``, ``tlv``, ``social_security``, ``bank``).
"""

from .apdu import CardTransport, CommandApdu, Response, exchange
from .errors import CardNotReadableHere, CardRemoved, NoCard, ReaderNotFound, UnreadableReason
from .models import BankCard, CardKind, SocialSecurityCard, mask_id_number, mask_pan
from .reader import SmartCardReader
from .sim_slot import SimCardSlot
from .transport import PcscTransport, SimTransport
from .watcher import CardWatcher

__all__ = [
    "BankCard",
    "CardKind",
    "CardNotReadableHere",
    "CardRemoved",
    "CardTransport",
    "CardWatcher",
    "CommandApdu",
    "NoCard",
    "PcscTransport",
    "ReaderNotFound",
    "Response",
    "SimCardSlot",
    "SimTransport",
    "SmartCardReader",
    "SocialSecurityCard",
    "UnreadableReason",
    "exchange",
    "mask_id_number",
    "mask_pan",
]

"""Command APDUs and the exchange rules every card read goes through.

Transport-independent: :func:`exchange` takes any :class:`CardTransport`
(pyscard, the in-process simulator) and applies the ISO 7816-4 T=0 rules
smartcards.md lists: SW ``61xx`` → GET RESPONSE ``00 C0 00 00 xx``; SW
``6Cxx`` → resend the same command with Le = xx.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from drivers.errors import ProtocolError

SW_OK = 0x9000
SW_WRONG_LENGTH = 0x6700
SW_SECURITY_NOT_SATISFIED = 0x6982
SW_AUTH_BLOCKED = 0x6983
SW_CONDITIONS_NOT_SATISFIED = 0x6985
SW_FILE_NOT_FOUND = 0x6A82
SW_RECORD_NOT_FOUND = 0x6A83
SW_FUNCTION_NOT_SUPPORTED = 0x6A81
SW_SELECTED_FILE_INVALIDATED = 0x6283
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00

# A real card answers in at most a few GET RESPONSE rounds; a card that keeps
# saying 61xx or 6Cxx forever is broken, and this bound keeps us from looping.
MAX_RESPONSE_ROUNDS = 16


class CardTransport(Protocol):
    """The one primitive a card read needs, plus connect/disconnect.

    ``transmit`` sends a command APDU and returns ``(data, sw1, sw2)``; it
    raises :class:`~drivers.smartcard.errors.CardRemoved` when the card is gone.
    """

    def connect(self) -> bytes:
        """Power the card and return its ATR."""
        ...

    def disconnect(self) -> None: ...

    def transmit(self, apdu: bytes) -> tuple[bytes, int, int]: ...


@dataclass(frozen=True)
class CommandApdu:
    """A short command APDU. ``le=None`` means no Le byte (case 1/3); 0 means 256."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None

    def to_bytes(self) -> bytes:
        out = bytearray((self.cla, self.ins, self.p1, self.p2))
        if self.data:
            if len(self.data) > 255:
                raise ValueError("short APDU data is at most 255 bytes")
            out.append(len(self.data))
            out += self.data
        if self.le is not None:
            out.append(self.le & 0xFF)
        return bytes(out)

    def with_le(self, le: int) -> CommandApdu:
        return CommandApdu(self.cla, self.ins, self.p1, self.p2, self.data, le)


@dataclass(frozen=True)
class Response:
    data: bytes
    sw: int

    @property
    def ok(self) -> bool:
        return self.sw == SW_OK


def select_by_name(name: bytes) -> CommandApdu:
    return CommandApdu(0x00, 0xA4, 0x04, 0x00, name, 0x00)


def select_ef(fid: int) -> CommandApdu:
    # P2 = 00: return FCI when the card has one; smartcards.md `00 A4 02 00 02 EF 05`.
    return CommandApdu(0x00, 0xA4, 0x02, 0x00, fid.to_bytes(2, "big"))


def read_record(record: int, p2: int) -> CommandApdu:
    return CommandApdu(0x00, 0xB2, record, p2, le=0x00)


def get_response(length: int) -> CommandApdu:
    return CommandApdu(0x00, 0xC0, 0x00, 0x00, le=length)


def exchange(transport: CardTransport, command: CommandApdu) -> Response:
    """Send ``command`` and return the complete response.

    Follows ``61xx`` with GET RESPONSE (concatenating the pieces) and answers
    ``6Cxx`` by resending with the exact Le. Raises :class:`ProtocolError`
    when the card keeps asking for more than :data:`MAX_RESPONSE_ROUNDS`
    rounds. Whatever other status word the card gives is returned as is.
    """
    data, sw1, sw2 = transport.transmit(command.to_bytes())
    collected = bytearray()
    for _ in range(MAX_RESPONSE_ROUNDS):
        if sw1 == 0x6C:
            # Wrong Le: the card tells us the exact length; resend unchanged otherwise.
            command = command.with_le(sw2)
            data, sw1, sw2 = transport.transmit(command.to_bytes())
        elif sw1 == 0x61:
            collected += data
            data, sw1, sw2 = transport.transmit(get_response(sw2).to_bytes())
        else:
            collected += data
            return Response(bytes(collected), (sw1 << 8) | sw2)
    raise ProtocolError(
        f"card kept answering {sw1:02X}{sw2:02X} after {MAX_RESPONSE_ROUNDS} rounds",
        code=f"{sw1:02X}{sw2:02X}",
    )

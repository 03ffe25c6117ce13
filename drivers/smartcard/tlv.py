"""BER-TLV as used by EMV/PBOC records (EMV Book 3 annex B).

Malformed input raises :class:`ProtocolError` whose message names the
offset only, never the bytes (records carry the PAN).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from drivers.errors import ProtocolError


@dataclass(frozen=True)
class Tlv:
    tag: int
    value: bytes

    @property
    def constructed(self) -> bool:
        first = self.tag
        while first > 0xFF:
            first >>= 8
        return bool(first & 0x20)

    def children(self) -> list[Tlv]:
        return parse(self.value) if self.constructed else []


def parse(data: bytes) -> list[Tlv]:
    """Parse a sequence of BER-TLV objects (skipping 00/FF padding between them)."""
    out: list[Tlv] = []
    i = 0
    n = len(data)
    while i < n:
        if data[i] in (0x00, 0xFF):
            i += 1
            continue
        tag = data[i]
        i += 1
        if tag & 0x1F == 0x1F:
            for _ in range(3):
                if i >= n:
                    raise ProtocolError(f"TLV tag truncated at offset {i}")
                tag = (tag << 8) | data[i]
                i += 1
                if not data[i - 1] & 0x80:
                    break
            else:
                raise ProtocolError(f"TLV tag longer than 4 bytes at offset {i}")
        if i >= n:
            raise ProtocolError(f"TLV length missing at offset {i}")
        length = data[i]
        i += 1
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 3 or i + count > n:
                raise ProtocolError(f"TLV length field invalid at offset {i}")
            length = int.from_bytes(data[i : i + count], "big")
            i += count
        if i + length > n:
            raise ProtocolError(f"TLV value overruns the data at offset {i}")
        out.append(Tlv(tag, data[i : i + length]))
        i += length
    return out


def walk(items: list[Tlv]) -> Iterator[Tlv]:
    """Every object, depth first, including those inside constructed ones."""
    for item in items:
        yield item
        if item.constructed:
            yield from walk(item.children())


def find(data: bytes | list[Tlv], tag: int) -> bytes | None:
    """The value of the first object with ``tag`` at any depth, or None."""
    items = parse(data) if isinstance(data, bytes | bytearray) else data
    for item in walk(items):
        if item.tag == tag:
            return item.value
    return None


def find_all(data: bytes | list[Tlv], tag: int) -> list[Tlv]:
    items = parse(data) if isinstance(data, bytes | bytearray) else data
    return [item for item in walk(items) if item.tag == tag]


def encode(tag: int, value: bytes) -> bytes:
    """Encode one object (used by the card simulators and to build GPO data)."""
    tag_bytes = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    n = len(value)
    if n < 0x80:
        length = bytes((n,))
    elif n <= 0xFF:
        length = bytes((0x81, n))
    else:
        length = bytes((0x82,)) + n.to_bytes(2, "big")
    return tag_bytes + length + value


def parse_dol(dol: bytes) -> list[tuple[int, int]]:
    """Parse a data object list (PDOL, CDOL): ``[(tag, length), ...]``."""
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(dol):
        tag = dol[i]
        i += 1
        if tag & 0x1F == 0x1F:
            while i < len(dol):
                tag = (tag << 8) | dol[i]
                i += 1
                if not dol[i - 1] & 0x80:
                    break
        if i >= len(dol):
            raise ProtocolError(f"DOL truncated at offset {i}")
        out.append((tag, dol[i]))
        i += 1
    return out

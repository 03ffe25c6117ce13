"""SAM frames: encoding, checksum, and a resynchronising stream parser.

Frame layout (specs/idcard-reader.md "Frame")::

    AA AA AA 96 69 | LEN_H LEN_L | body ... | CHK

LEN is big-endian and counts every byte after the two length bytes, CHK
included. CHK is the XOR of the LEN bytes and the body. A request body is
``CMD PARA [DATA]``, a reply body ``SW1 SW2 SW3 [DATA]``.

Everything here works on bytes only, so the driver and the simulator share it
and the fuzz tests can hammer it without a serial line. Malformed input never
raises anything but :class:`drivers.errors.ProtocolError`.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.errors import ProtocolError

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER_LEN = len(PREAMBLE) + 2  # preamble + LEN_H LEN_L

# The longest legitimate frame is the read-with-fingerprint reply: 2321 bytes,
# LEN 0x090A (spec, "Commands"). A larger LEN is line noise that would make the
# parser wait for data that never comes, so it is rejected at once.
MAX_LEN = 0x0A00
MIN_REQUEST_LEN = 3  # CMD PARA CHK
MIN_REPLY_LEN = 4  # SW1 SW2 SW3 CHK


def checksum(len_and_body: bytes) -> int:
    """XOR of every byte after the preamble up to (not including) CHK."""
    value = 0
    for byte in len_and_body:
        value ^= byte
    return value


def encode_frame(body: bytes) -> bytes:
    """Wrap ``body`` (CMD PARA DATA, or SW1 SW2 SW3 DATA) into a full frame."""
    length = len(body) + 1
    if length > MAX_LEN:
        raise ProtocolError(f"frame body too long: {len(body)} bytes")
    len_bytes = length.to_bytes(2, "big")
    return PREAMBLE + len_bytes + body + bytes([checksum(len_bytes + body)])


def encode_request(cmd: int, para: int, data: bytes = b"") -> bytes:
    """A request frame, e.g. ``encode_request(0x20, 0x01)`` is "find card"."""
    return encode_frame(bytes([cmd, para]) + data)


def encode_reply(sw3: int, data: bytes = b"", sw1: int = 0x00, sw2: int = 0x00) -> bytes:
    """A reply frame as the SAM sends it: SW1 SW2 SW3 then data."""
    return encode_frame(bytes([sw1, sw2, sw3]) + data)


def decode_frame(frame: bytes) -> bytes:
    """Check one complete frame and return its body (without LEN and CHK).

    Raises :class:`ProtocolError` on a wrong preamble, a length that does not
    match, or a bad checksum.
    """
    if len(frame) < HEADER_LEN + 1 or not frame.startswith(PREAMBLE):
        raise ProtocolError("frame does not start with the SAM preamble")
    length = int.from_bytes(frame[5:7], "big")
    if length != len(frame) - HEADER_LEN:
        raise ProtocolError(f"frame LEN {length} does not match {len(frame) - HEADER_LEN} bytes")
    if checksum(frame[5:-1]) != frame[-1]:
        raise ProtocolError("frame checksum mismatch")
    return bytes(frame[HEADER_LEN:-1])


@dataclass(frozen=True)
class Request:
    """A decoded request body: command, parameter and optional data."""

    cmd: int
    para: int
    data: bytes = b""

    @classmethod
    def from_body(cls, body: bytes) -> Request:
        if len(body) < MIN_REQUEST_LEN - 1:
            raise ProtocolError(f"request body too short: {len(body)} bytes")
        return cls(body[0], body[1], bytes(body[2:]))


@dataclass(frozen=True)
class Reply:
    """A decoded reply body: the three status words and the data after them."""

    sw1: int
    sw2: int
    sw3: int
    data: bytes = b""

    @classmethod
    def from_body(cls, body: bytes) -> Reply:
        if len(body) < MIN_REPLY_LEN - 1:
            raise ProtocolError(f"reply body too short: {len(body)} bytes")
        return cls(body[0], body[1], body[2], bytes(body[3:]))


class FrameParser:
    """Splits a byte stream into checked frame bodies, resynchronising on noise.

    Feed it whatever the line delivered; it returns every complete frame whose
    checksum is right. Garbage before a preamble is dropped. A candidate frame
    with a bad checksum or an impossible LEN is abandoned by skipping one byte
    past its preamble start and scanning again, so a real frame hidden inside
    a false one (noise that happened to look like a preamble) is still found.
    When the line goes quiet in the middle of a frame (a lost byte), the caller
    calls :meth:`abandon_partial` to drop that frame start and rescan.

    ``min_len`` is the smallest legal LEN: 4 for replies, 3 for requests.
    The buffer never holds more than one frame (LEN is capped at
    :data:`MAX_LEN`) plus the last chunk fed, so noise cannot grow it.
    """

    def __init__(self, min_len: int = MIN_REPLY_LEN) -> None:
        self._buf = bytearray()
        self._min_len = min_len
        self.dropped_bytes = 0  # counted for the operators' diagnostics
        self.bad_frames = 0

    @property
    def pending(self) -> int:
        """Bytes held while waiting for the rest of a frame."""
        return len(self._buf)

    @property
    def in_frame(self) -> bool:
        """True while a preamble has been seen and the rest of its frame is awaited."""
        return self._buf.startswith(PREAMBLE)

    def reset(self) -> None:
        self._buf.clear()

    def feed(self, data: bytes) -> list[bytes]:
        """Add bytes; return the bodies of all frames completed by them."""
        self._buf += data
        return self._extract()

    def abandon_partial(self) -> list[bytes]:
        """Give up on the frame being collected (the line went quiet).

        Drops the first byte of its preamble and rescans the rest, returning
        any complete frames found in the bytes already held.
        """
        if not self._buf:
            return []
        del self._buf[0]
        self.dropped_bytes += 1
        return self._extract()

    def _extract(self) -> list[bytes]:
        bodies: list[bytes] = []
        # Each pass either returns, or removes at least one byte: bounded by
        # the buffer length.
        while self._buf:
            start = self._buf.find(PREAMBLE)
            if start < 0:
                # Keep a possible preamble prefix at the tail (AA, AA AA, ...).
                keep = _preamble_prefix_len(self._buf)
                self.dropped_bytes += len(self._buf) - keep
                del self._buf[: len(self._buf) - keep]
                break
            if start:
                self.dropped_bytes += start
                del self._buf[:start]
            if len(self._buf) < HEADER_LEN:
                break
            length = int.from_bytes(self._buf[5:7], "big")
            if not self._min_len <= length <= MAX_LEN:
                self._skip_bad()
                continue
            total = HEADER_LEN + length
            if len(self._buf) < total:
                break
            frame = bytes(self._buf[:total])
            if checksum(frame[5:-1]) != frame[-1]:
                self._skip_bad()
                continue
            del self._buf[:total]
            bodies.append(frame[HEADER_LEN:-1])
        return bodies

    def _skip_bad(self) -> None:
        self.bad_frames += 1
        self.dropped_bytes += 1
        del self._buf[0]


def _preamble_prefix_len(buf: bytearray) -> int:
    """Length of the longest suffix of ``buf`` that is a prefix of PREAMBLE."""
    for n in range(min(len(PREAMBLE) - 1, len(buf)), 0, -1):
        if buf[-n:] == PREAMBLE[:n]:
            return n
    return 0

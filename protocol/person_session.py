"""The person session and the signed request that opens it (DESIGN §7).

A terminal is trusted to be itself, not to speak for anyone it likes: a
person's data is served only inside a person session, which the hub opens
when the terminal presents evidence that only the card holds, in a request
signed with the terminal's own Ed25519 key (made at enrolment).

This module is the vocabulary both sides share: the routes, the header
names, the exact bytes that are signed and the digest of the ID card's photo.
"""

from __future__ import annotations

import hashlib

PERSON_SESSIONS = "/person-sessions"
"""``POST`` (under the services API, signed): open a session from card evidence."""
CLOSE_PERSON_SESSION = "/person-sessions/close"
"""``POST {person_session}``: the kiosk session ended; the handle is dead."""
TERMINAL_KEY_PATH = "/api/v1/terminal/key"
"""``POST {public_key}`` with the terminal credential: replace the terminal's signing key."""

SESSION_FIELD = "person_session"
"""The body field every person-scoped route reads the session handle from."""

HEADER_TIMESTAMP = "X-Huimin-Timestamp"
"""Unix time in whole seconds when the terminal signed the request."""
HEADER_NONCE = "X-Huimin-Nonce"
"""16–64 URL-safe characters, never used twice by one terminal."""
HEADER_SIGNATURE = "X-Huimin-Signature"
"""Base64url Ed25519 signature of :func:`signed_message`."""

SIGNATURE_VERSION = "huimin-sig-v1"
NONCE_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"


def body_digest(body: bytes) -> str:
    """SHA-256 of the body exactly as sent, in hex."""
    return hashlib.sha256(body).hexdigest()


def signed_message(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """What the terminal signs: method, path (with any query string), timestamp,
    nonce and the body's digest, one per line after the version tag. A change to
    any of them (another route, a replayed or altered body) breaks the signature."""
    lines = (SIGNATURE_VERSION, method.upper(), path, timestamp, nonce, body_digest(body))
    return "\n".join(lines).encode("ascii")


def photo_digest(photo: bytes) -> str:
    """The ID card's evidence of its photo: SHA-256 of the photo block (WLT) in hex."""
    return hashlib.sha256(bytes(photo)).hexdigest()


def demo_photo(key: str, length: int = 1024) -> bytes:
    """The photo block of demo citizen ``key``'s ID card: deterministic bytes behind
    the WLT magic. The ID-card simulator puts it on the card and the hub's demo
    provider checks the photo digest against it: one source for both."""
    out = bytearray(b"WLf\x00\x7e\x00\x32\x00")
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(f"photo:{key}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:length])

"""Encryption at rest for personal data that must be queued (DESIGN §6).

Personal data is held only for the session. When the app must queue some of
it anyway (an application submitted while the hub was briefly down), it seals
the value first: AES-256-GCM with a per-terminal key kept in a 0600 file
(PIPL Art. 51 asks for encryption of sensitive personal data). The journal
accepts a sealed token where it refuses the plain value.

A token looks like ``sealed:v1:<base64url(nonce ‖ ciphertext ‖ tag)>``; it is
ASCII and safe to store in JSON.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SEALED_PREFIX = "sealed:v1:"
_KEY_BYTES = 32  # AES-256
_NONCE_BYTES = 12  # the GCM standard nonce; random nonces are safe far beyond a kiosk's volume
_TAG_BYTES = 16
# Binds tokens to this format so a ciphertext cannot be replayed under another use.
_AAD = b"huimin-sealed-v1"
_BODY = re.compile(r"[A-Za-z0-9_-]+={0,2}")


class SealedError(Exception):
    """A token cannot be opened (wrong key, altered, not a token) or the key is unusable."""


def is_sealed(value: str) -> bool:
    """True when ``value`` has the shape of a sealed token (it is not decrypted here)."""
    if not value.startswith(SEALED_PREFIX):
        return False
    body = value[len(SEALED_PREFIX) :]
    # Shortest token: nonce + tag around an empty ciphertext.
    return len(body) >= (_NONCE_BYTES + _TAG_BYTES) * 4 // 3 and bool(_BODY.fullmatch(body))


def write_private_file(path: Path, data: bytes, *, replace: bool) -> None:
    """Write ``data`` to ``path`` readable by the owner only (0600), atomically.

    The file is created with ``os.open(..., 0o600)`` (never widened, not even for
    a moment) beside its target, fsynced, then moved into place. With
    ``replace=False`` an existing file is kept and :class:`FileExistsError`
    raised — a key that already sealed data must never be overwritten.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if replace:
            tmp.replace(path)
        else:
            os.link(tmp, path)  # fails if path exists, unlike rename
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the new directory entry survives a power cut
    finally:
        os.close(dir_fd)


class Sealer:
    """Seals dicts with this terminal's key.

    The key file is created (32 random bytes, mode 0600) on first use. A key
    file readable by group or others is refused with :class:`SealedError`.
    """

    def __init__(self, key_path: str | Path) -> None:
        # Imported here: the journal imports this module for is_sealed() and must
        # start fast (the crash test restarts it hundreds of times).
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self.key_path = Path(key_path)
        self._aead = AESGCM(self._load_or_create_key())

    def _load_or_create_key(self) -> bytes:
        if not self.key_path.exists():
            # FileExistsError: another process created it first; use theirs.
            with contextlib.suppress(FileExistsError):
                write_private_file(self.key_path, secrets.token_bytes(_KEY_BYTES), replace=False)
        mode = self.key_path.stat().st_mode & 0o777
        if mode & 0o077:
            raise SealedError(
                f"key file {self.key_path} has mode {mode:o}; it must be 600 (owner only)"
            )
        key = self.key_path.read_bytes()
        if len(key) != _KEY_BYTES:
            raise SealedError(f"key file {self.key_path} holds {len(key)} bytes, not {_KEY_BYTES}")
        return key

    def seal(self, data: Mapping[str, Any]) -> str:
        """Encrypt a JSON-serialisable mapping; returns an ASCII token."""
        plain = json.dumps(dict(data), ensure_ascii=False, separators=(",", ":")).encode()
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, plain, _AAD)
        return SEALED_PREFIX + base64.urlsafe_b64encode(sealed).decode("ascii")

    def open(self, token: str) -> dict[str, Any]:
        """Decrypt a token made by :meth:`seal` with the same key.

        Raises :class:`SealedError` when the token is malformed, altered or was
        sealed with another key. The message never contains the plaintext.
        """
        from cryptography.exceptions import InvalidTag

        if not is_sealed(token):
            raise SealedError("not a sealed token")
        try:
            raw = base64.urlsafe_b64decode(token[len(SEALED_PREFIX) :])
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _AAD)
        except (binascii.Error, ValueError, InvalidTag) as exc:
            raise SealedError("sealed token altered or sealed with another key") from exc
        value = json.loads(plain)
        if not isinstance(value, dict):
            raise SealedError("sealed token does not hold a mapping")
        return value

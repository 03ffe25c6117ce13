"""The terminal's own signing key (DESIGN §7, issue 13).

An Ed25519 key made on the terminal when it first enrols: the private half is
written once, mode 0600, beside the hub credential and never leaves the
terminal (never logged, never sent); the public half goes to the hub at
enrolment (or ``POST /api/v1/terminal/key`` to rotate it). Requests that
carry card evidence are signed with it over
:func:`protocol.person_session.signed_message`, so a stolen credential alone
cannot open person sessions from another machine, and a captured request
cannot be replayed.

Rotating: delete the key file and restart the kiosk; the agent makes a new
key and sends it, authenticated by the terminal credential.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.sealed import write_private_file
from protocol.person_session import (
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    signed_message,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

log = logging.getLogger(__name__)

KEY_FILE_NAME = "signing-key.pem"


class SigningKeyError(Exception):
    """The key file exists but cannot be used (unreadable, not a key, too open)."""


def signing_key_path(credential_path: str | Path) -> Path:
    """Where the key lives: beside the hub credential, on the terminal's data partition."""
    return Path(credential_path).with_name(KEY_FILE_NAME)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


class TerminalKey:
    """One Ed25519 private key; :meth:`headers` signs a request."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        from cryptography.hazmat.primitives import serialization

        self._private = private
        raw = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.public_key = _b64(raw)
        """The public half, 32 bytes base64url (what the hub stores)."""
        self.key_id = hashlib.sha256(raw).hexdigest()[:16]
        """A short fingerprint, to tell whether the hub has this key."""

    def __repr__(self) -> str:  # never the private half
        return f"TerminalKey(key_id={self.key_id!r})"

    @classmethod
    def load_or_create(cls, path: str | Path) -> TerminalKey:
        """The key at ``path``; made (mode 0600, written once) when there is none.

        Raises :class:`SigningKeyError` for a file that is not a usable key or
        that others may read.
        """
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        path = Path(path)
        if not path.exists():
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            # FileExistsError: another process made it a moment ago; use theirs.
            with contextlib.suppress(FileExistsError):
                write_private_file(path, pem, replace=False)
                log.info("new terminal signing key made at %s", path)
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise SigningKeyError(f"signing key {path} has mode {mode:o}; it must be 600")
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            # The message names the file, never its content.
            raise SigningKeyError(f"signing key {path} is not a usable key") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError(f"signing key {path} is not an Ed25519 key")
        return cls(key)

    @classmethod
    def load(cls, path: str | Path) -> TerminalKey | None:
        """The key at ``path`` without making one (the agent makes it, and sends it
        to the hub); None when there is none yet or it is unusable (logged)."""
        if not Path(path).exists():
            return None
        try:
            return cls.load_or_create(path)
        except SigningKeyError as exc:
            log.error("%s; person sessions cannot be opened", exc)
            return None

    @classmethod
    def beside(cls, credential_path: str | Path) -> TerminalKey | None:
        """The key beside the credential (made if missing); None, logged, when the
        file is unusable: the terminal still reports and serves, but opens no
        person session until an operator fixes it."""
        try:
            return cls.load_or_create(signing_key_path(credential_path))
        except SigningKeyError as exc:
            log.error("%s; person sessions cannot be opened", exc)
            return None

    def headers(self, method: str, path: str, body: bytes) -> dict[str, str]:
        """The signature headers for ``method path`` with ``body`` (bytes as sent)."""
        timestamp = str(int(time.time()))
        nonce = secrets.token_urlsafe(18)
        signature = self._private.sign(signed_message(method, path, timestamp, nonce, body))
        return {
            HEADER_TIMESTAMP: timestamp,
            HEADER_NONCE: nonce,
            HEADER_SIGNATURE: _b64(signature),
        }

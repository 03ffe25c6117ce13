"""The hub's cryptography at rest: digests and the data key.

Two suites, chosen by ``crypto`` in hub.toml:

- ``standard``: SHA-256 digests, AES-256-GCM encryption;
- ``gm`` (国密, GB/T 32905 and GB/T 32907): SM3 digests, SM4-GCM encryption.

Both come from the ``cryptography`` package (OpenSSL), as the rest of the
project's cryptography does. What uses them:

- :func:`digest` — the audit chain (:mod:`hub.fleet.audit_chain`) and console
  session ids, stored only as digests (the cookie carries the secret);
- :class:`DataCipher` — contact phone and postal address of applications, and
  the console operators' TOTP secrets.

**The data key lives outside the database**, in the file ``data_key_file``
names (mode 0600), so that a copy of the database (a backup, a dump, a
curious DBA) does not reveal what it encrypts. The file holds one key per
line, ``<key id>:<base64 of 32 random bytes>``; the first line is the key new
data is sealed with, the others still open what they sealed. Rotation: put a
new line first (``python -m hub data-key rotate`` does it and re-seals every
row), keep the old lines until no backup that needs them is kept.

A demo hub creates the file at first start; any other hub refuses to start
without it (:func:`key_file_problem`, also for the production checks).
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hub.settings import HubSettings

Suite = Literal["standard", "gm"]
DigestAlg = Literal["sha256", "sm3"]
KEY_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16
_SEALED_PREFIX = "v1"


class DataKeyError(Exception):
    """The data key file is missing, unreadable or malformed; ``str()`` says which."""


def digest_alg(suite: Suite) -> DigestAlg:
    return "sm3" if suite == "gm" else "sha256"


def digest(alg: str, data: bytes) -> str:
    """Hex digest of ``data`` with ``alg`` ("sha256" or "sm3"; 64 hex digits either way)."""
    if alg == "sha256":
        h = hashes.Hash(hashes.SHA256())
    elif alg == "sm3":
        h = hashes.Hash(hashes.SM3())
    else:
        raise ValueError(f"unknown digest algorithm {alg!r}")
    h.update(data)
    return h.finalize().hex()


def session_digest(settings: HubSettings, session_secret: str) -> str:
    """What ``fleet_operator_sessions.id`` stores for the secret a cookie carries.
    The secret is 256 random bits, so a plain digest cannot be reversed."""
    return digest(digest_alg(settings.crypto), session_secret.encode("ascii"))


# -- the data key ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DataKey:
    key_id: str
    secret: bytes


def new_key_line() -> str:
    """A fresh key line: a short random id and 32 random bytes."""
    return f"{secrets.token_hex(4)}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"


def parse_key_file(text: str, where: str = "data key file") -> list[DataKey]:
    keys: list[DataKey] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key_id, sep, encoded = line.partition(":")
        try:
            secret = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            secret = b""
        if not sep or not key_id.isalnum() or len(secret) != KEY_BYTES:
            raise DataKeyError(f"{where}: line {number} is not <id>:<base64 of 32 bytes>")
        keys.append(DataKey(key_id, secret))
    if not keys:
        raise DataKeyError(f"{where}: holds no key")
    if len({k.key_id for k in keys}) != len(keys):
        raise DataKeyError(f"{where}: a key id appears twice")
    return keys


def key_file_problem(settings: HubSettings) -> str | None:
    """Why the data key file cannot be used (one line naming the key), or None.
    For the production-safety checks: a hub must not start with a problem here."""
    path = Path(settings.data_key_file)
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return f"hub.data_key_file: {path} does not exist (python -m hub data-key create)"
    except (OSError, UnicodeDecodeError) as exc:
        return f"hub.data_key_file: {path} cannot be read ({exc})"
    if mode & 0o077:
        return f"hub.data_key_file: {path} is readable by others (chmod 600 {path})"
    try:
        parse_key_file(text, f"hub.data_key_file: {path}")
    except DataKeyError as exc:
        return str(exc)
    return None


def create_key_file(path: Path, owner: tuple[int, int] | None = None) -> bool:
    """Write a new key file at ``path`` (mode 0600) unless one exists; whether it
    was created. Safe against two processes starting at once (O_EXCL).

    ``owner`` (uid, gid): hand the file to the hub's service user, for root
    creating it at install time (the hub reads it as that user); chowned before
    the key is written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    if owner is not None:
        os.fchown(fd, *owner)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(new_key_line() + "\n")
        f.flush()
        os.fsync(f.fileno())
    return True


def load_data_cipher(settings: HubSettings) -> DataCipher:
    """The hub's :class:`DataCipher`. A demo hub creates its key file at first
    start; otherwise a missing or bad file raises :class:`DataKeyError`."""
    path = Path(settings.data_key_file)
    if settings.demo_data:
        create_key_file(path)
    problem = key_file_problem(settings)
    if problem is not None:
        raise DataKeyError(problem)
    return DataCipher(
        parse_key_file(path.read_text(encoding="ascii")), settings.crypto, source=path
    )


def cipher_of(session: Session) -> DataCipher:
    """The hub's :class:`DataCipher`, which rides in every hub session's ``info``
    (:func:`hub.db.make_sessionmaker`), so whatever code holds a session can
    seal and open."""
    cipher = session.info.get("data_cipher")
    if not isinstance(cipher, DataCipher):
        raise RuntimeError("this session has no data key (hub.db.make_sessionmaker)")
    return cipher


# -- sealing --------------------------------------------------------------------------------


class DataCipher:
    """Seals short texts with the current key; opens what any listed key sealed.

    A sealed value is ``v1.<cipher>.<key id>.<base64(nonce | ciphertext | tag)>``;
    the column it belongs to is authenticated with it (``context``), so a value
    copied into another column or row kind does not open there.
    """

    def __init__(
        self, keys: Sequence[DataKey], suite: Suite = "standard", source: Path | None = None
    ) -> None:
        if not keys:
            raise DataKeyError("no data key")
        self.source = source  # the key file, read again when a value names a newer key
        self._use(keys)
        self.cipher_name = "sm4gcm" if suite == "gm" else "aes256gcm"
        self._subkeys: dict[tuple[str, str], bytes] = {}

    def _use(self, keys: Sequence[DataKey]) -> None:
        self.keys = {k.key_id: k for k in keys}
        self.current = keys[0]

    def _reload(self) -> None:
        """Another hub process rotated the key (``data-key rotate``): take the file's
        keys, and seal with its new first key from now on too."""
        if self.source is not None:
            self._use(parse_key_file(self.source.read_text(encoding="ascii"), str(self.source)))

    def _key(self, cipher_name: str, key: DataKey) -> bytes:
        found = self._subkeys.get((cipher_name, key.key_id))
        if found is None:
            found = self._subkeys[(cipher_name, key.key_id)] = _subkey(cipher_name, key.secret)
        return found

    def seal(self, plaintext: str, context: str) -> str:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        key = self._key(self.cipher_name, self.current)
        sealed = _encrypt(self.cipher_name, key, nonce, plaintext.encode(), context.encode())
        blob = base64.b64encode(nonce + sealed).decode("ascii")
        return f"{_SEALED_PREFIX}.{self.cipher_name}.{self.current.key_id}.{blob}"

    def open(self, sealed: str, context: str) -> str:
        """The plaintext; :class:`DataKeyError` if the key is unknown or the
        value was altered (or belongs to another ``context``)."""
        try:
            prefix, cipher_name, key_id, blob = sealed.split(".", 3)
            raw = base64.b64decode(blob, validate=True)
        except (ValueError, binascii.Error):
            raise DataKeyError("not a sealed value") from None
        if key_id not in self.keys:
            self._reload()
        key = self.keys.get(key_id)
        if prefix != _SEALED_PREFIX or key is None:
            raise DataKeyError(f"sealed with key {key_id!r}, which the key file does not hold")
        nonce, body = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
        try:
            subkey = self._key(cipher_name, key)
            plain = _decrypt(cipher_name, subkey, nonce, body, context.encode())
        except InvalidTag:
            raise DataKeyError("sealed value altered or misplaced") from None
        return plain.decode()

    def is_current(self, sealed: str) -> bool:
        """Whether ``sealed`` uses the current key and cipher (rotation skips it)."""
        return sealed.startswith(f"{_SEALED_PREFIX}.{self.cipher_name}.{self.current.key_id}.")


def _subkey(cipher_name: str, secret: bytes) -> bytes:
    # One key file serves both suites: each cipher gets its own key derived with
    # HKDF over its suite's hash (SM4 takes 128-bit keys, AES-256 256-bit ones).
    if cipher_name == "sm4gcm":
        return HKDF(hashes.SM3(), 16, None, b"huimin data sm4-gcm").derive(secret)
    if cipher_name == "aes256gcm":
        return HKDF(hashes.SHA256(), 32, None, b"huimin data aes-256-gcm").derive(secret)
    raise DataKeyError(f"unknown cipher {cipher_name!r}")


def _encrypt(cipher_name: str, key: bytes, nonce: bytes, plain: bytes, aad: bytes) -> bytes:
    if cipher_name == "aes256gcm":
        return AESGCM(key).encrypt(nonce, plain, aad)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    body = encryptor.update(plain) + encryptor.finalize()
    return body + encryptor.tag


def _decrypt(cipher_name: str, key: bytes, nonce: bytes, body: bytes, aad: bytes) -> bytes:
    if cipher_name == "aes256gcm":
        return AESGCM(key).decrypt(nonce, body, aad)
    if len(body) < _TAG_BYTES:
        raise InvalidTag
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, body[-_TAG_BYTES:])).decryptor()
    decryptor.authenticate_additional_data(aad)
    return decryptor.update(body[:-_TAG_BYTES]) + decryptor.finalize()

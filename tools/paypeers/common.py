"""What the payment emulators share: the customer's behaviour, faults on demand,
notifications as sent, PEM helpers."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def pem_private(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def pem_public(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def sign_sha256_rsa(key: rsa.RSAPrivateKey, message: str) -> str:
    return base64.b64encode(
        key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    ).decode()


@dataclass(frozen=True)
class Customer:
    """How the customer behind one order behaves."""

    pay_after_s: float | None = 4.0  # None: never (native: until :meth:`pay`)
    decline: str | None = None  # an error code, e.g. NOT_ENOUGH: nothing charged
    pay_on_cancel: bool = False  # pays in the instant before the reverse/close lands


@dataclass
class Faults:
    """Misbehaviour on demand; rates are per call (or per notification)."""

    error_rate: float = 0.0  # 500 SYSTEM_ERROR before acting
    drop_rate: float = 0.0  # acted, then the connection is closed without an answer
    forge_rate: float = 0.0  # the answer is signed with a key that is not the platform's
    stall_s: float = 0.0  # every answer waits this long first (client timeouts)
    notify_duplicate_rate: float = 0.0
    notify_shuffle: bool = False  # deliver pending notifications out of order
    notify_forge_rate: float = 0.0


@dataclass(frozen=True)
class Notification:
    url: str
    headers: dict[str, str]
    body: bytes
    event_type: str
    forged: bool = False  # an attacker's: not retried when refused


def post_notification(note: Notification) -> int:
    return requests.post(note.url, data=note.body, headers=note.headers, timeout=10).status_code

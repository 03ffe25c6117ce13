"""The console's TOTP second factor (RFC 6238, pyotp).

- Enrolment shows the ``otpauth://`` URI as a QR code rendered here, on the
  hub (``qrcode`` + Pillow, a PNG ``data:`` URI the console's CSP allows), never
  by a third-party service, and asks for a code to confirm it was scanned.
- A code is accepted within one 30 s step of drift either way, and never twice:
  the step of the last accepted code is stored, and a compare-and-set on it
  makes a replay fail even across hub processes.
- The secret is sealed with AES-GCM under a key derived (HKDF-SHA256) from the
  hub's ``secret_key``, so a copy of the database alone does not give the
  second factor. Rotating ``secret_key`` therefore voids every enrolment:
  ``python -m hub operators reset-totp NAME`` lets each administrator enrol
  again (see the README's Security section).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import io
import os
import time

import pyotp
import qrcode
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from hub.fleet.models import Operator

ISSUER = "惠民运维控制台"
DRIFT_STEPS = 1  # accept the previous and the next 30 s step too (clock drift)
_SEAL_PREFIX = "v1:"


def new_secret() -> str:
    """160 random bits, base32 (what authenticator apps expect)."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_data_uri(text: str) -> str:
    """A PNG of ``text`` as a QR code, as a ``data:`` URI for an ``<img>``."""
    image = qrcode.make(text, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _key(secret_key: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"huimin console totp v1"
    ).derive(secret_key.encode("utf-8"))


def seal(secret: str, secret_key: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_key(secret_key)).encrypt(nonce, secret.encode("ascii"), b"totp")
    return _SEAL_PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def unseal(stored: str, secret_key: str) -> str | None:
    """The secret, or None when it was sealed under another key (or is damaged)."""
    if not stored.startswith(_SEAL_PREFIX):
        return None
    try:
        raw = base64.b64decode(stored[len(_SEAL_PREFIX) :], validate=True)
        return AESGCM(_key(secret_key)).decrypt(raw[:12], raw[12:], b"totp").decode("ascii")
    except (InvalidTag, ValueError, binascii.Error):
        return None


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code is ``code`` (within the drift), or None."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    at = time.time() if now is None else now
    current = totp.timecode(at)
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(current + offset), code):
            return current + offset
    return None


def consume(db: Session, operator_id: int, step: int) -> bool:
    """Mark ``step`` used for the operator; False if it (or a later one) already was.

    One UPDATE with the comparison in its WHERE: two requests racing with the
    same code cannot both win.
    """
    done = db.execute(
        update(Operator)
        .where(
            Operator.id == operator_id,
            or_(Operator.totp_last_step.is_(None), Operator.totp_last_step < step),
        )
        .values(totp_last_step=step)
    )
    return int(getattr(done, "rowcount", 0) or 0) == 1

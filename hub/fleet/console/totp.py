"""The console's TOTP second factor (RFC 6238, pyotp).

- Enrolment shows the ``otpauth://`` URI as a QR code rendered here, on the
  hub (``qrcode`` + Pillow, a PNG ``data:`` URI the console's CSP allows), never
  by a third-party service, and asks for a code to confirm it was scanned.
- A code is accepted within one 30 s step of drift either way, and never twice:
  the step of the last accepted code is stored, and a compare-and-set on it
  makes a replay fail even across hub processes.
- The secret is sealed with the hub's data key (:mod:`hub.crypto`: AES-256-GCM,
  or SM4-GCM under ``crypto = "gm"``), bound to its column, like the other
  secrets the database keeps: a copy of the database alone does not give the
  second factor, ``python -m hub data-key rotate`` re-seals it with the
  other rows, and rotating ``secret_key`` leaves every enrolment in place.
"""

from __future__ import annotations

import base64
import hmac
import io
import time

import pyotp
import qrcode
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from hub.crypto import DataCipher, DataKeyError
from hub.fleet.models import Operator

ISSUER = "惠民运维控制台"
DRIFT_STEPS = 1  # accept the previous and the next 30 s step too (clock drift)
# The context a sealed secret is bound to (a value copied elsewhere does not open).
SEALED_COLUMN = "fleet_operators.totp_secret"


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


def seal(secret: str, cipher: DataCipher) -> str:
    return cipher.seal(secret, SEALED_COLUMN)


def unseal(stored: str, cipher: DataCipher) -> str | None:
    """The secret, or None when the key file no longer holds its key (or the
    value was altered)."""
    try:
        return cipher.open(stored, SEALED_COLUMN)
    except DataKeyError:
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

"""The applicant's contact data (phone for progress SMS, postal address for
邮寄送达), sealed at rest with the hub's data key (:mod:`hub.crypto`).

Only these functions read or write ``ApplicationRow.contact_phone`` and
``ApplicationRow.delivery_address``; the key comes with the session
(``session.info["data_cipher"]``, see :func:`hub.db.make_sessionmaker`), so
whatever code holds a hub session can use them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from hub.crypto import cipher_of
from hub.services.models import ApplicationRow

PHONE = "svc_applications.contact_phone"
ADDRESS = "svc_applications.delivery_address"


def seal_phone(session: Session, phone: str) -> str:
    return cipher_of(session).seal(phone, PHONE)


def seal_address(session: Session, address: str | None) -> str | None:
    return None if address is None else cipher_of(session).seal(address, ADDRESS)


def phone_of(session: Session, row: ApplicationRow) -> str:
    """The applicant's phone in clear (for the SMS gateway; masked everywhere shown)."""
    return cipher_of(session).open(row.contact_phone, PHONE)


def address_of(session: Session, row: ApplicationRow) -> str | None:
    if row.delivery_address is None:
        return None
    return cipher_of(session).open(row.delivery_address, ADDRESS)

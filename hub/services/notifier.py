"""Progress messages to applicants (seeds/001: 收件受理、审批审核、批件完成
pushed to the applicant's phone by SMS).

:class:`Notifier` is the seam for a real SMS gateway; the built-in
:class:`RecordingNotifier` stores each message (with the phone masked) so the
operators' console can show what would have been sent.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from hub.services.clock import Clock, db_time
from hub.services.identity import mask_phone
from hub.services.models import SmsRow


class Notifier(Protocol):
    """Sends one text message. Must not raise for delivery failures: log and move on."""

    def send(self, phone: str, text: str) -> None: ...


class RecordingNotifier:
    """Stores messages in ``svc_sms`` instead of sending them (demo and tests)."""

    def __init__(self, factory: sessionmaker[Session], clock: Clock) -> None:
        self._factory = factory
        self._clock = clock

    def send(self, phone: str, text: str) -> None:
        with self._factory() as session, session.begin():
            sent_at = db_time(self._clock.now())
            session.add(SmsRow(phone_masked=mask_phone(phone), text=text, sent_at=sent_at))


def notify_after_commit(session: Session, notifier: Notifier, phone: str, text: str) -> None:
    """Send ``text`` once ``session`` commits; nothing is sent if it rolls back.

    A status change and its message belong together: texting about an
    application the database then forgot would mislead the applicant. (It
    also keeps SQLite from waiting on its own write lock.)
    """
    if not session.info.get("sms_listening"):
        session.info["sms_listening"] = True

        def _flush(sess: Session) -> None:
            for p, t in sess.info.pop("sms_outbox", []):
                notifier.send(p, t)

        def _drop(sess: Session, previous: SessionTransaction) -> None:
            if not previous.nested:  # a savepoint rolling back keeps the outer work
                sess.info.pop("sms_outbox", None)

        event.listen(session, "after_commit", _flush)
        event.listen(session, "after_soft_rollback", _drop)
    session.info.setdefault("sms_outbox", []).append((phone, text))

"""补打 (reprint): every printable the hub issues for a person — certificates,
acceptance slips (受理回执), payment receipts (缴费凭证) — is recorded with its
issue time, and ``POST /documents`` (:mod:`hub.services.documents_api`) lists
the person's documents of the last :data:`REPRINT_DAYS` days, newest first,
for the terminal to print again.

Queue tickets are not recorded (valid for the day only), nor query results:
a fresh query shows today's records, which a reprint of an old one would not.
Only masked content is stored (the printable as issued) under the person
reference; rows past the window are deleted (PIPL Art. 19: shortest necessary
retention).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hub.services.clock import db_time
from hub.services.models import DocumentRow
from hub.services.printable import Printable

REPRINT_DAYS = 90  # the issue: "any receipt or certificate … from the last 90 days"
MAX_DOCUMENTS = 60  # bounds the answer; ten screens of six in 长辈 mode
Kind = Literal["certificate", "acceptance_slip", "payment_receipt"]


def record_document(
    session: Session,
    *,
    person_refs: Iterable[str],
    kind: Kind,
    ref: str,
    title: str,
    detail: str,
    printable: Printable | dict[str, Any],
    issued_at: datetime,
) -> int:
    """Record a document for each person in ``person_refs`` inside the caller's
    transaction (so it exists exactly when what it proves does); return how many
    rows were added. Recording the same (person, kind, ref) again adds nothing."""
    content = printable.model_dump(mode="json") if isinstance(printable, Printable) else printable
    added = 0
    for person_ref in dict.fromkeys(person_refs):
        exists = session.scalar(
            select(DocumentRow.id).where(
                DocumentRow.person_ref == person_ref,
                DocumentRow.kind == kind,
                DocumentRow.ref == ref,
            )
        )
        if exists is not None:
            continue
        session.add(
            DocumentRow(
                person_ref=person_ref,
                kind=kind,
                ref=ref,
                title=title,
                detail=detail[:160],
                printable=content,
                issued_at=db_time(issued_at),
            )
        )
        added += 1
    return added


def purge_expired(session: Session, now: datetime) -> int:
    """Delete every document issued before the reprint window; return how many."""
    cutoff = db_time(now - timedelta(days=REPRINT_DAYS))
    result = session.execute(delete(DocumentRow).where(DocumentRow.issued_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)

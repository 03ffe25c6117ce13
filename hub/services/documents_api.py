"""Route: ``POST /documents`` lists a person's documents for 补打 (reprint).

The store (what is recorded, for how long) is :mod:`hub.services.documents`;
it is kept apart from this route so that the payment and application
services, which record documents, do not import the route context
(:mod:`hub.services.context` imports the payment service).
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from hub.services.clock import db_time, local_text
from hub.services.context import CallingTerminal, Ctx, Db
from hub.services.documents import MAX_DOCUMENTS, REPRINT_DAYS, Kind, purge_expired
from hub.services.errors import ServiceRoute
from hub.services.models import DocumentRow
from hub.services.printable import Printable
from hub.services.schemas import PersonHeader, PersonQuery

router = APIRouter(route_class=ServiceRoute, tags=["documents"])


class DocumentOut(BaseModel):
    id: int
    kind: Kind
    title: str = Field(description="the printable's title (a msgid the terminal translates)")
    detail: str = Field(description="what it concerns (item name); may be empty")
    issued_at: str = Field(description="YYYY-MM-DD HH:MM, China Standard Time")
    printable: Printable = Field(description="masked content as first issued")


class DocumentsOut(BaseModel):
    person: PersonHeader
    documents: list[DocumentOut]
    reprint_days: int


@router.post(
    "/documents",
    response_model=DocumentsOut,
    summary="补打: the person's certificates, slips and receipts of the last 90 days",
)
def list_documents(body: PersonQuery, ctx: Ctx, db: Db, terminal: CallingTerminal) -> DocumentsOut:
    """Newest first, at most :data:`MAX_DOCUMENTS`; 403 without a live person session."""
    person = ctx.person(terminal, body.person_session).person
    now = ctx.clock.now()
    purge_expired(db, now)
    rows = db.scalars(
        select(DocumentRow)
        .where(
            DocumentRow.person_ref == person.person_ref,
            DocumentRow.issued_at >= db_time(now - timedelta(days=REPRINT_DAYS)),
        )
        .order_by(DocumentRow.issued_at.desc(), DocumentRow.id.desc())
        .limit(MAX_DOCUMENTS)
    )
    return DocumentsOut(
        person=PersonHeader.of(person),
        documents=[
            DocumentOut(
                id=row.id,
                kind=row.kind,
                title=row.title,
                detail=row.detail,
                issued_at=local_text(row.issued_at),
                printable=Printable.model_validate(row.printable),
            )
            for row in rows
        ],
        reprint_days=REPRINT_DAYS,
    )

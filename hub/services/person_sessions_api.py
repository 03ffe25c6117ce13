"""Routes: open a person session from signed card evidence, and close it.

``POST /person-sessions`` is the only route that takes card evidence, and it
must be signed with the terminal's key (headers of
:mod:`protocol.person_session`): the raw body is read here so that the
signature is checked over the very bytes sent, before anything is parsed.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from hub.services.context import CallingTerminal, Ctx
from hub.services.errors import ServiceRoute
from hub.services.person_sessions import Handle
from hub.services.provider import CardEvidence, IdCardEvidence, SsCardEvidence
from hub.services.queries_api import IdentifyOut, identified
from hub.services.schemas import IdNumber, PersonQuery, SsCardNumber
from protocol.person_session import CLOSE_PERSON_SESSION, PERSON_SESSIONS

router = APIRouter(route_class=ServiceRoute, tags=["person sessions"])


class IdCardEvidenceIn(BaseModel):
    """From a resident ID card: what the reader's SAM returned besides the number."""

    kind: Literal["idcard"]
    id_number: IdNumber
    photo_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the photo block")
    valid_from: date
    valid_to: date | None = Field(description="null: 长期")
    authority: str = Field(min_length=1, max_length=40, description="签发机关")

    def evidence(self) -> IdCardEvidence:
        return IdCardEvidence(
            self.id_number, self.photo_sha256, self.valid_from, self.valid_to, self.authority
        )


class SsCardEvidenceIn(BaseModel):
    """From a social-security card: its card number and 发卡日期."""

    kind: Literal["sscard"]
    card_number: SsCardNumber
    issued_on: date

    def evidence(self) -> SsCardEvidence:
        return SsCardEvidence(self.card_number, self.issued_on)


class OpenIn(BaseModel):
    evidence: Annotated[IdCardEvidenceIn | SsCardEvidenceIn, Field(discriminator="kind")]


class OpenOut(BaseModel):
    person_session: Handle
    expires_in_s: int = Field(description="the session ends then at the latest")
    person: IdentifyOut


@router.post(
    PERSON_SESSIONS,
    response_model=OpenOut,
    status_code=status.HTTP_201_CREATED,
    summary="Open a person session from signed card evidence",
)
async def open_person_session(request: Request, ctx: Ctx, terminal: CallingTerminal) -> OpenOut:
    raw = await request.body()  # capped by hub.limits.RequestGuard
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    await run_in_threadpool(
        ctx.sessions.check_signature, terminal.id, request.method, path, request.headers, raw
    )
    try:
        body = OpenIn.model_validate_json(raw)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
    evidence: CardEvidence = body.evidence.evidence()
    opened = await run_in_threadpool(ctx.sessions.open, terminal.id, evidence)
    person = await run_in_threadpool(identified, ctx, opened.person)
    return OpenOut(person_session=opened.handle, expires_in_s=opened.expires_in_s, person=person)


@router.post(
    CLOSE_PERSON_SESSION,
    status_code=status.HTTP_204_NO_CONTENT,
    summary="The kiosk session ended: the handle is dead",
)
def close_person_session(body: PersonQuery, ctx: Ctx, terminal: CallingTerminal) -> Response:
    ctx.sessions.close(terminal.id, body.person_session)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

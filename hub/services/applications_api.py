"""Routes: submit an application (一证通办) and follow its progress."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hub.services import idempotency
from hub.services.applications import (
    STATUS_TEXT,
    acceptance_printable,
    create_application,
    due_of,
    record_acceptance_slip,
)
from hub.services.catalogue_store import get_item
from hub.services.clock import local_text
from hub.services.context import CallingTerminal, Ctx, Db
from hub.services.errors import BadRequest, NotFound, ServiceRoute
from hub.services.models import ApplicationRow
from hub.services.person_sessions import Handle
from hub.services.printable import Printable, PrintTable, lines
from hub.services.schemas import AcceptanceNo, PersonHeader
from protocol.i18n import N_
from protocol.services import QueryKind, query_path

router = APIRouter(route_class=ServiceRoute, tags=["applications"])


class Delivery(BaseModel):
    method: Literal["counter", "post"] = Field(description="collect at the counter, or by post")
    address: str | None = Field(None, min_length=5, max_length=200)

    @model_validator(mode="after")
    def _address_for_post(self) -> Delivery:
        if self.method == "post" and not self.address:
            raise ValueError("选择邮寄送达时请填写收件地址")
        return self


class ApplicationIn(BaseModel):
    item_id: str = Field(max_length=64)
    person_session: Handle
    form: dict[str, Any] = Field(
        description=(
            "resident_pension_enrol: {phone, grade_yuan}; "
            "elderly_allowance: {phone, use_ss_card_account: true}"
        )
    )
    delivery: Delivery
    consent: bool = Field(description="separate consent to process personal data (PIPL Art. 29)")
    idempotency_key: str = Field(min_length=8, max_length=128)


class ApplicationAccepted(BaseModel):
    acceptance_no: str
    item_id: str
    item_name: str
    status: str
    status_text: str
    promised_days: int
    due_date: str
    person: PersonHeader
    form: dict[str, Any] = Field(description="what was accepted, personal values masked")
    printable: Printable


@router.post(
    "/applications",
    response_model=ApplicationAccepted,
    status_code=status.HTTP_201_CREATED,
    summary="Submit an application; replayed for a repeated idempotency_key",
)
def submit(body: ApplicationIn, ctx: Ctx, db: Db, terminal: CallingTerminal) -> Any:
    if not body.consent:
        raise BadRequest(N_("需要您同意授权使用个人信息后才能办理"))
    # Only inside a live person session of this terminal: nobody applies for a
    # person whose card is not on the reader (issue 13). The fingerprint is of
    # the person, not the handle, so a retry in a re-opened session replays.
    person = ctx.person(terminal, body.person_session).person
    asked = body.model_dump(mode="json", exclude={"person_session"})
    digest = idempotency.fingerprint({**asked, "person": person.person_ref}, ctx.secret)
    stored = idempotency.replay(db, "applications", body.idempotency_key, digest)
    if stored is not None:
        return stored[1]
    item = get_item(db, body.item_id)
    if item is None:
        raise NotFound(N_("未找到该事项"))
    if "apply" not in item.capabilities or item.form is None:
        raise BadRequest(N_("该事项暂不支持在自助终端申请，请查看办事指南"))
    row = create_application(
        db, ctx, item, person, body.form, body.delivery.method, body.delivery.address
    )
    header = PersonHeader.of(person)
    due = due_of(row).isoformat()
    out = ApplicationAccepted(
        acceptance_no=row.acceptance_no,
        item_id=item.id,
        item_name=item.name,
        status=row.status,
        status_text=STATUS_TEXT[row.status],
        promised_days=row.promised_days,
        due_date=due,
        person=header,
        form=row.form,
        printable=acceptance_printable(row),
    )
    record_acceptance_slip(db, row)
    response = out.model_dump(mode="json")
    idempotency.remember(
        db, "applications", body.idempotency_key, digest, 201, response, ctx.clock.now()
    )
    return response


class ApplicationsQuery(BaseModel):
    """The person in a person session, or a 受理编号 typed on the keypad."""

    person_session: Handle | None = None
    acceptance_no: AcceptanceNo | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ApplicationsQuery:
        if (self.person_session is None) == (self.acceptance_no is None):
            raise ValueError("请先读卡，或输入受理编号")
        return self


class HistoryOut(BaseModel):
    status: str
    status_text: str
    note: str
    at: str


class ApplicationRecord(BaseModel):
    acceptance_no: str
    item_id: str
    item_name: str
    status: str
    status_text: str
    created_at: str
    promised_days: int
    due_date: str
    history: list[HistoryOut]


class ApplicationsOut(BaseModel):
    person: PersonHeader
    records: list[ApplicationRecord]
    printable: Printable


@router.post(query_path(QueryKind.APPLICATIONS), response_model=ApplicationsOut, summary="办件进度")
def query_applications(
    body: ApplicationsQuery, ctx: Ctx, db: Db, terminal: CallingTerminal
) -> ApplicationsOut:
    stmt = select(ApplicationRow).options(selectinload(ApplicationRow.events))
    if body.acceptance_no is not None:
        rows = list(db.scalars(stmt.where(ApplicationRow.acceptance_no == body.acceptance_no)))
        if not rows:
            raise NotFound(N_("未找到该受理编号的办件，请核对后重新输入"))
        header = PersonHeader(
            person_ref=rows[0].person_ref,
            name_masked=rows[0].name_masked,
            id_masked=rows[0].id_masked,
        )
    else:
        assert body.person_session is not None
        person = ctx.person(terminal, body.person_session).person
        header = PersonHeader.of(person)
        rows = list(
            db.scalars(
                stmt.where(ApplicationRow.person_ref == person.person_ref).order_by(
                    ApplicationRow.created_at.desc()
                )
            )
        )
    records = [
        ApplicationRecord(
            acceptance_no=r.acceptance_no,
            item_id=r.item_id,
            item_name=r.item_name,
            status=r.status,
            status_text=STATUS_TEXT.get(r.status, r.status),
            created_at=local_text(r.created_at),
            promised_days=r.promised_days,
            due_date=due_of(r).isoformat(),
            history=[
                HistoryOut(
                    status=e.status,
                    status_text=STATUS_TEXT.get(e.status, e.status),
                    note=e.note,
                    at=local_text(e.at),
                )
                for e in r.events
            ],
        )
        for r in rows
    ]
    printable = Printable(
        title=N_("办件进度"),
        lines=lines((N_("申请人"), header.name_masked), (N_("身份证号"), header.id_masked)),
        table=PrintTable(
            columns=[N_("受理编号"), N_("事项"), N_("状态"), N_("受理时间")],
            rows=[[r.acceptance_no, r.item_name, r.status_text, r.created_at] for r in records],
        ),
        notes=[] if records else [N_("暂无办件记录")],
        issued_at=local_text(ctx.clock.now()),
    )
    return ApplicationsOut(person=header, records=records, printable=printable)

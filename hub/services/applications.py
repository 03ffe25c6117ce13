"""Applications (一证通办): accept, number, track and notify.

The terminal sends the item, the ID number read from the card, the form and
the person's separate consent (PIPL Art. 29). The hub checks eligibility
against the provider, stores the application with masked copies only,
gives a 受理编号 and texts the applicant at each status change.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.services.catalogue import CatalogueItem
from hub.services.clock import db_time, from_db, local_date, local_text
from hub.services.contact import phone_of, seal_address, seal_phone
from hub.services.context import ServiceContext
from hub.services.documents import record_document
from hub.services.errors import BadRequest, Conflict, NotFound
from hub.services.identity import age_on, mask_id, mask_name, mask_pan, mask_phone
from hub.services.models import ApplicationEventRow, ApplicationRow
from hub.services.notifier import Notifier, notify_after_commit
from hub.services.printable import Printable, lines
from hub.services.provider import Person
from hub.services.sequences import next_value
from protocol.i18n import N_

Status = Literal["accepted", "reviewing", "done", "rejected"]
STATUS_TEXT: dict[str, str] = {
    "accepted": N_("已受理"),
    "reviewing": N_("审核中"),
    "done": N_("已办结"),
    "rejected": N_("不予办理"),
    # The back office's states (hub/backoffice/workflow.py).
    "correction": N_("待补正"),
    "approved": N_("审核通过"),
    "returned": N_("已退回"),
    "mailed": N_("已寄出"),
}
FINAL_STATUSES = frozenset({"done", "rejected", "returned", "mailed"})
DELIVERY_TEXT = {"post": N_("邮寄送达"), "counter": N_("窗口领取")}
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def acceptance_number(day: date, seq: int) -> str:
    """受理编号: the acceptance day and a per-day sequence, digits only (keypad-friendly)."""
    return f"{day:%Y%m%d}{seq:06d}"


def due_date(start: date, working_days: int) -> date:
    """``working_days`` Monday–Friday days after ``start`` (public holidays not known here)."""
    day = start
    remaining = working_days
    while remaining > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            remaining -= 1
    return day


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(description="applicant's mobile number for progress SMS")


class ResidentPensionForm(_Form):
    """城乡居民基本养老保险参保登记: contact phone and the chosen 缴费档次."""

    grade_yuan: int


class ElderlyAllowanceForm(_Form):
    """高龄津贴申请: paid to the bank account of the person's social-security card."""

    use_ss_card_account: bool = True


FORMS: dict[str, type[_Form]] = {
    "resident_pension_enrol": ResidentPensionForm,
    "elderly_allowance": ElderlyAllowanceForm,
}

_FIELD_NAMES = {"phone": "联系电话", "grade_yuan": "缴费档次", "use_ss_card_account": "发放账户"}


def parse_form(item: CatalogueItem, raw: dict[str, Any]) -> tuple[_Form, dict[str, Any]]:
    """Validate ``raw`` for ``item``'s form; return the form and its masked copy.

    Raises :class:`BadRequest` with a Chinese sentence naming the field.
    """
    assert item.form is not None
    try:
        form = FORMS[item.form].model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else ""
        if err["type"] == "extra_forbidden":
            raise BadRequest(f"表单中有无法识别的项目：{field}") from None
        raise BadRequest(f"请正确填写{_FIELD_NAMES.get(field, field)}") from None
    if not _MOBILE.match(form.phone):
        raise BadRequest(N_("联系电话应为11位手机号码"))
    masked: dict[str, Any] = {"phone": mask_phone(form.phone)}
    if isinstance(form, ResidentPensionForm):
        allowed = item.options.get("grades_yuan", [])
        if form.grade_yuan not in allowed:
            raise BadRequest("缴费档次只能选择：" + "、".join(f"{g}元" for g in allowed))
        masked["grade_yuan"] = form.grade_yuan
    if isinstance(form, ElderlyAllowanceForm) and not form.use_ss_card_account:
        raise BadRequest(N_("高龄津贴只能发放到本人社会保障卡银行账户"))
    return form, masked


def check_eligible(item: CatalogueItem, person: Person, today: date) -> None:
    """Raise :class:`BadRequest` / :class:`Conflict` if ``person`` cannot apply for ``item``."""
    age = age_on(person.id_number, today)
    if item.form == "resident_pension_enrol":
        if person.pension_status != "none":
            raise Conflict(N_("您已参加城乡居民基本养老保险，无需重复登记"))
        if not 16 <= age < 60:
            raise BadRequest(N_("参保登记需年满16周岁且未满60周岁"))
    elif item.form == "elderly_allowance":
        if person.elderly_allowance:
            raise Conflict(N_("您已在领取高龄津贴，无需重复申请"))
        if age < 80:
            raise BadRequest(N_("高龄津贴需年满80周岁，您暂不符合申请条件"))


def sms_text(item_name: str, acceptance_no: str, status: str, promised_days: int) -> str:
    """The progress SMS for a status change (no personal data beyond the number)."""
    if status == "accepted":
        return (
            f"【兰考政务服务】您申请的“{item_name}”已受理，受理编号{acceptance_no}，"
            f"承诺{promised_days}个工作日内办结，可在便民服务站自助终端查询进度。"
        )
    return (
        f"【兰考政务服务】您申请的“{item_name}”（受理编号{acceptance_no}）"
        f"{STATUS_TEXT.get(status, status)}。"
    )


def create_application(
    session: Session,
    ctx: ServiceContext,
    item: CatalogueItem,
    person: Person,
    form_raw: dict[str, Any],
    delivery_method: str,
    delivery_address: str | None,
) -> ApplicationRow:
    """Check, store and notify a new application; return its row (status ``accepted``)."""
    now = ctx.clock.now()
    form, masked = parse_form(item, form_raw)
    check_eligible(item, person, local_date(now))
    open_one = session.scalars(
        select(ApplicationRow).where(
            ApplicationRow.person_ref == person.person_ref,
            ApplicationRow.item_id == item.id,
            ApplicationRow.status.not_in(FINAL_STATUSES),
        )
    ).first()
    if open_one is not None:
        raise Conflict(f"该事项已在办理中，受理编号{open_one.acceptance_no}，请勿重复申请")
    if item.form == "elderly_allowance":
        masked["bank_account"] = mask_pan(person.bank_pan)
    day = local_date(now)
    row = ApplicationRow(
        acceptance_no=acceptance_number(day, next_value(session, f"acceptance:{day}")),
        item_id=item.id,
        item_name=item.name,
        person_ref=person.person_ref,
        id_masked=mask_id(person.id_number),
        name_masked=mask_name(person.name),
        contact_phone=seal_phone(session, form.phone),
        form=masked,
        delivery_method=delivery_method,
        delivery_address=seal_address(session, delivery_address),
        status="accepted",
        promised_days=item.time_limits.promised_days,
        created_at=db_time(now),
        updated_at=db_time(now),
    )
    session.add(row)
    session.flush()
    _record(session, ctx.notifier, row, "accepted", N_("自助终端提交，已受理"), now)
    return row


def advance(
    session: Session,
    notifier: Notifier,
    acceptance_no: str,
    status: Status,
    note: str,
    now: datetime,
) -> ApplicationRow:
    """Move an application to ``status`` (console, provider callbacks) and text the applicant.

    Raises :class:`NotFound` for an unknown number and :class:`Conflict` when
    the application is already final.
    """
    row = session.scalars(
        select(ApplicationRow).where(ApplicationRow.acceptance_no == acceptance_no)
    ).first()
    if row is None:
        raise NotFound(N_("未找到该受理编号的办件"))
    if row.status in FINAL_STATUSES:
        raise Conflict(N_("该办件已办结，不能再变更状态"))
    _record(session, notifier, row, status, note, now)
    return row


def _record(
    session: Session,
    notifier: Notifier,
    row: ApplicationRow,
    status: str,
    note: str,
    now: datetime,
) -> None:
    row.status = status
    row.updated_at = db_time(now)
    session.add(
        ApplicationEventRow(application_id=row.id, status=status, note=note, at=db_time(now))
    )
    text = sms_text(row.item_name, row.acceptance_no, status, row.promised_days)
    notify_after_commit(session, notifier, phone_of(session, row), text)


def acceptance_printable(row: ApplicationRow) -> Printable:
    """The 受理回执 of an application (masked copies only), stamped with its acceptance time."""
    return Printable(
        title=N_("受理回执"),
        lines=lines(
            (N_("事项"), row.item_name),
            (N_("受理编号"), row.acceptance_no),
            (N_("申请人"), row.name_masked),
            (N_("身份证号"), row.id_masked),
            (N_("承诺时限"), f"{row.promised_days}个工作日"),
            (N_("预计办结"), due_of(row).isoformat()),
            (N_("结果领取"), DELIVERY_TEXT.get(row.delivery_method, row.delivery_method)),
        ),
        notes=[N_("凭受理编号可在自助终端查询办理进度"), N_("办理进度将以短信通知")],
        issued_at=local_text(row.created_at),
    )


def record_acceptance_slip(session: Session, row: ApplicationRow) -> None:
    """Keep the 受理回执 for 补打 (hub/services/documents.py), in the caller's transaction."""
    record_document(
        session,
        person_refs=[row.person_ref],
        kind="acceptance_slip",
        ref=row.acceptance_no,
        title=N_("受理回执"),
        detail=row.item_name,
        printable=acceptance_printable(row),
        issued_at=from_db(row.created_at),
    )


def due_of(row: ApplicationRow) -> date:
    """The promised completion date of an application."""
    return due_date(local_date(from_db(row.created_at)), row.promised_days)

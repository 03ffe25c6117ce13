"""Routes: identify a person and query their records (社保、养老金、医保、补贴、办件).

Every response carries a masked person header, the records, totals and a
:class:`~hub.services.printable.Printable` for the receipt.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from hub.services.clock import local_date, local_text
from hub.services.context import CallingTerminal, Ctx, ServiceContext
from hub.services.errors import ServiceRoute
from hub.services.identity import age_on, mask_id, mask_name, mask_pan
from hub.services.printable import Printable, PrintTable, lines, yuan
from hub.services.provider import Person
from hub.services.schemas import PersonHeader, PersonQuery
from protocol.i18n import N_
from protocol.services import IDENTIFY, QUERY_PREFIX, QueryKind

router = APIRouter(route_class=ServiceRoute, prefix=QUERY_PREFIX, tags=["queries"])


class Eligibility(BaseModel):
    """What the person may do now; the terminal greys out the rest."""

    resident_pension_enrol: bool = Field(description="16–59 and not yet enrolled")
    pension_receiving: bool
    elderly_allowance_apply: bool = Field(description="80+ and not yet receiving 高龄津贴")
    elderly_allowance_receiving: bool
    medical_due_years: list[int]


class IdentifyOut(BaseModel):
    person_ref: str
    name: str = Field(description="full name, for the greeting only; print name_masked")
    name_masked: str
    id_masked: str
    sex: Literal["男", "女"]
    age: int
    town: str
    village: str
    eligible: Eligibility


@router.post(f"/{IDENTIFY}", response_model=IdentifyOut, summary="Who is in this person session")
def identify(body: PersonQuery, ctx: Ctx, terminal: CallingTerminal) -> IdentifyOut:
    return identified(ctx, ctx.person(terminal, body.person_session).person)


def identified(ctx: ServiceContext, person: Person) -> IdentifyOut:
    """Who the person is and what they may do now (also the reply that opens a session)."""
    age = age_on(person.id_number, local_date(ctx.clock.now()))
    due = [m.year for m in ctx.provider.medical_years(person) if m.status == "due"]
    return IdentifyOut(
        person_ref=person.person_ref,
        name=person.name,
        name_masked=mask_name(person.name),
        id_masked=mask_id(person.id_number),
        sex="男" if person.sex == "1" else "女",
        age=age,
        town=person.town,
        village=person.village,
        eligible=Eligibility(
            resident_pension_enrol=person.pension_status == "none" and 16 <= age < 60,
            pension_receiving=person.pension_status == "receiving",
            elderly_allowance_apply=age >= 80 and not person.elderly_allowance,
            elderly_allowance_receiving=person.elderly_allowance,
            medical_due_years=due,
        ),
    )


# --- contributions ---


class ContributionOut(BaseModel):
    year: int
    grade_yuan: int
    amount_fen: int
    subsidy_fen: int
    paid_on: str


class ContributionTotals(BaseModel):
    years: int
    amount_fen: int
    subsidy_fen: int
    account_fen: int = Field(description="personal account: contributions + subsidies")


class ContributionsOut(BaseModel):
    person: PersonHeader
    records: list[ContributionOut]
    totals: ContributionTotals
    printable: Printable


@router.post(f"/{QueryKind.CONTRIBUTIONS}", response_model=ContributionsOut, summary="社保缴费记录")
def contributions(body: PersonQuery, ctx: Ctx, terminal: CallingTerminal) -> ContributionsOut:
    person = ctx.person(terminal, body.person_session).person
    header = PersonHeader.of(person)
    records = ctx.provider.contributions(person)
    amount = sum(r.amount_fen for r in records)
    subsidy = sum(r.subsidy_fen for r in records)
    totals = ContributionTotals(
        years=len(records), amount_fen=amount, subsidy_fen=subsidy, account_fen=amount + subsidy
    )
    printable = Printable(
        title=N_("城乡居民基本养老保险缴费记录"),
        lines=lines(
            (N_("姓名"), header.name_masked),
            (N_("身份证号"), header.id_masked),
            (N_("累计缴费年限"), f"{totals.years}年"),
            (N_("个人缴费合计"), yuan(amount)),
            (N_("政府补贴合计"), yuan(subsidy)),
        ),
        table=PrintTable(
            columns=[N_("年度"), N_("档次"), N_("个人缴费"), N_("政府补贴")],
            rows=[
                [str(r.year), f"{r.grade_yuan}元", yuan(r.amount_fen), yuan(r.subsidy_fen)]
                for r in records
            ],
        ),
        notes=[] if records else [N_("暂无缴费记录")],
        issued_at=local_text(ctx.clock.now()),
    )
    return ContributionsOut(
        person=header,
        records=[
            ContributionOut(**{**r.__dict__, "paid_on": r.paid_on.isoformat()}) for r in records
        ],
        totals=totals,
        printable=printable,
    )


# --- pension ---


class PensionQuery(PersonQuery):
    months: int = Field(12, ge=1, le=24, description="how many recent months")


class PensionOut(BaseModel):
    month: str
    basic_fen: int
    account_fen: int
    total_fen: int
    paid_on: str


class PensionTotals(BaseModel):
    months: int
    amount_fen: int
    monthly_now_fen: int


class PensionsOut(BaseModel):
    person: PersonHeader
    receiving: bool
    bank_masked: str
    records: list[PensionOut]
    totals: PensionTotals
    printable: Printable


@router.post(f"/{QueryKind.PENSION}", response_model=PensionsOut, summary="养老金发放记录")
def pension(body: PensionQuery, ctx: Ctx, terminal: CallingTerminal) -> PensionsOut:
    person = ctx.person(terminal, body.person_session).person
    header = PersonHeader.of(person)
    payments = ctx.provider.pension_payments(person, body.months)
    records = [
        PensionOut(
            month=p.month,
            basic_fen=p.basic_fen,
            account_fen=p.account_fen,
            total_fen=p.basic_fen + p.account_fen,
            paid_on=p.paid_on.isoformat(),
        )
        for p in payments
    ]
    totals = PensionTotals(
        months=len(records),
        amount_fen=sum(r.total_fen for r in records),
        monthly_now_fen=records[0].total_fen if records else 0,
    )
    bank = mask_pan(person.bank_pan)
    printable = Printable(
        title=N_("养老金发放记录"),
        lines=lines(
            (N_("姓名"), header.name_masked),
            (N_("身份证号"), header.id_masked),
            (N_("发放账户"), bank),
            (N_("当前月养老金"), yuan(totals.monthly_now_fen)),
            (N_("合计"), yuan(totals.amount_fen)),
        ),
        table=PrintTable(
            columns=[N_("月份"), N_("基础养老金"), N_("个人账户"), N_("合计")],
            rows=[
                [r.month, yuan(r.basic_fen), yuan(r.account_fen), yuan(r.total_fen)]
                for r in records
            ],
        ),
        notes=[] if records else [N_("暂无养老金发放记录")],
        issued_at=local_text(ctx.clock.now()),
    )
    return PensionsOut(
        person=header,
        receiving=person.pension_status == "receiving",
        bank_masked=bank,
        records=records,
        totals=totals,
        printable=printable,
    )


# --- medical insurance ---


class MedicalYearOut(BaseModel):
    year: int
    premium_fen: int
    status: Literal["paid", "due"]
    status_text: str
    paid_on: str | None


class MedicalOut(BaseModel):
    person: PersonHeader
    insured: bool
    scheme: str
    records: list[MedicalYearOut]
    due_fen: int = Field(description="sum of unpaid premiums")
    paid_fen: int
    printable: Printable


@router.post(f"/{QueryKind.MEDICAL}", response_model=MedicalOut, summary="医保参保状态与年度缴费")
def medical(body: PersonQuery, ctx: Ctx, terminal: CallingTerminal) -> MedicalOut:
    person = ctx.person(terminal, body.person_session).person
    header = PersonHeader.of(person)
    years = ctx.provider.medical_years(person)
    records = [
        MedicalYearOut(
            year=y.year,
            premium_fen=y.premium_fen,
            status=y.status,
            status_text=N_("已缴费") if y.status == "paid" else N_("待缴费"),
            paid_on=y.paid_on.isoformat() if y.paid_on else None,
        )
        for y in years
    ]
    due = sum(r.premium_fen for r in records if r.status == "due")
    paid = sum(r.premium_fen for r in records if r.status == "paid")
    scheme = N_("城乡居民基本医疗保险")
    printable = Printable(
        title=N_("医疗保险参保缴费信息"),
        lines=lines(
            (N_("姓名"), header.name_masked),
            (N_("身份证号"), header.id_masked),
            (N_("险种"), scheme),
            (N_("参保状态"), N_("参保") if records else N_("未参保")),
            (N_("待缴金额"), yuan(due)),
        ),
        table=PrintTable(
            columns=[N_("年度"), N_("个人缴费"), N_("状态"), N_("缴费日期")],
            rows=[
                [str(r.year), yuan(r.premium_fen), r.status_text, r.paid_on or "-"] for r in records
            ],
        ),
        issued_at=local_text(ctx.clock.now()),
    )
    return MedicalOut(
        person=header,
        insured=bool(records),
        scheme=scheme,
        records=records,
        due_fen=due,
        paid_fen=paid,
        printable=printable,
    )


# --- subsidies ---


class SubsidyOut(BaseModel):
    year: int
    item: str
    basis: str
    amount_fen: int
    paid_on: str


class SubsidyTotal(BaseModel):
    item: str
    amount_fen: int


class SubsidiesOut(BaseModel):
    person: PersonHeader
    bank_masked: str
    records: list[SubsidyOut]
    totals: list[SubsidyTotal]
    total_fen: int
    printable: Printable


@router.post(f"/{QueryKind.SUBSIDIES}", response_model=SubsidiesOut, summary="惠农补贴发放记录")
def subsidies(body: PersonQuery, ctx: Ctx, terminal: CallingTerminal) -> SubsidiesOut:
    person = ctx.person(terminal, body.person_session).person
    header = PersonHeader.of(person)
    records = [
        SubsidyOut(
            year=s.year,
            item=s.item,
            basis=s.basis,
            amount_fen=s.amount_fen,
            paid_on=s.paid_on.isoformat(),
        )
        for s in ctx.provider.subsidies(person)
    ]
    by_item: dict[str, int] = {}
    for r in records:
        by_item[r.item] = by_item.get(r.item, 0) + r.amount_fen
    total = sum(by_item.values())
    bank = mask_pan(person.bank_pan)
    printable = Printable(
        title=N_("惠民惠农补贴发放记录"),
        lines=lines(
            (N_("姓名"), header.name_masked),
            (N_("身份证号"), header.id_masked),
            (N_("发放账户"), bank),
            *((item, yuan(fen)) for item, fen in by_item.items()),
            (N_("合计"), yuan(total)),
        ),
        table=PrintTable(
            columns=[N_("发放日期"), N_("项目"), N_("金额")],
            rows=[[r.paid_on, r.item, yuan(r.amount_fen)] for r in records],
        ),
        notes=[] if records else [N_("暂无补贴发放记录")],
        issued_at=local_text(ctx.clock.now()),
    )
    return SubsidiesOut(
        person=header,
        bank_masked=bank,
        records=records,
        totals=[SubsidyTotal(item=k, amount_fen=v) for k, v in by_item.items()],
        total_fen=total,
        printable=printable,
    )

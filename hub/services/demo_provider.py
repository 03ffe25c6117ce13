"""The embedded demo provider: fake but realistic records for the demo citizens.

Seeded from ``config/demo/citizens.json`` (the same people the ID-card and
smart-card simulators carry) when ``demo_data`` is on. Seeding is idempotent
(a person already present is left alone) and deterministic: each person's
records come from a random generator seeded with their ID number, laid out
relative to the seeding day, so two hubs seeded the same day agree.
"""

from __future__ import annotations

import hmac
import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.services.applications import acceptance_number, record_acceptance_slip
from hub.services.clock import Clock, db_time, local_date
from hub.services.contact import seal_phone
from hub.services.identity import mask_id, mask_name, mask_phone, person_ref
from hub.services.models import (
    ApplicationEventRow,
    ApplicationRow,
    DemoContributionRow,
    DemoMedicalRow,
    DemoPensionRow,
    DemoPersonRow,
    DemoSubsidyRow,
)
from hub.services.provider import (
    CardEvidence,
    Contribution,
    IdCardEvidence,
    MedicalYear,
    PensionPayment,
    PensionStatus,
    Person,
    SsCardEvidence,
    SubsidyPayment,
)
from hub.services.sequences import next_value
from protocol.person_session import demo_photo, photo_digest

# Resident medical insurance: individual premium per year, in fen.
MEDICAL_PREMIUM_FEN = {2023: 38000, 2024: 40000, 2025: 40000, 2026: 40000, 2027: 40000}
# Government contribution subsidy per 缴费档次 (yuan → fen); higher grades earn more.
GRADE_SUBSIDY_FEN = {100: 3000, 200: 3500, 300: 4000, 500: 6000, 700: 7000, 1000: 8000, 2000: 10000}
BASIC_PENSION_FEN = 16300  # 基础养老金 per month (province + county parts)
ACCOUNT_DIVISOR = 139  # 个人账户养老金 = account balance / 139 (国发〔2014〕8号)
LAND_SUBSIDY_YUAN_PER_MU = 105  # 耕地地力保护补贴 per 亩


@dataclass(frozen=True)
class DemoFacts:
    """What each demo citizen's profile note says, as data."""

    pension: PensionStatus
    enrolled_year: int | None = None  # first contribution year
    grades: tuple[int, ...] = (200,)  # grades cycled over the years
    elderly_allowance: bool = False
    medical_due: tuple[int, ...] = (2027,)  # years still unpaid
    land_mu: float = 0.0
    applications: tuple[tuple[str, str, int, str], ...] = field(default_factory=tuple)


DEMO_FACTS: dict[str, DemoFacts] = {
    "zhang_xiulan": DemoFacts("receiving", elderly_allowance=True, land_mu=2.6),
    "li_jianguo": DemoFacts(
        "receiving", enrolled_year=2010, grades=(100, 200), medical_due=(), land_mu=4.2
    ),
    "wang_fang": DemoFacts(
        "contributing",
        enrolled_year=2012,
        grades=(200, 300, 500),
        land_mu=3.5,
        # (item_id, item_name, days ago, final status)
        applications=(
            ("med_offsite_filing", "异地就医备案", 40, "done"),
            ("med_chronic_disease", "门诊慢特病待遇认定", 6, "reviewing"),
        ),
    ),
    "ma_wenhua": DemoFacts(
        "contributing", enrolled_year=2010, grades=(500, 1000), medical_due=(), land_mu=36.5
    ),
    "liu_guiying": DemoFacts("receiving", land_mu=1.8),
    "zhao_lei": DemoFacts("none", medical_due=(2027,)),
}


def resolve_path(path: str | Path) -> Path:
    """A path from the config: as given if it exists, else relative to the repository."""
    candidate = Path(path)
    if candidate.is_absolute() or candidate.exists():
        return candidate
    return Path(__file__).resolve().parents[2] / candidate


def load_citizens(path: str | Path) -> list[dict[str, Any]]:
    """The ``citizens`` list of the demo citizens file."""
    data = json.loads(resolve_path(path).read_text(encoding="utf-8"))
    citizens: list[dict[str, Any]] = data["citizens"]
    return citizens


@dataclass(frozen=True)
class DemoCards:
    """The evidence the demo citizens' cards carry, as the simulators make them
    from the same file (drivers/sim/demo_cards.py, drivers/sim/cards.py)."""

    id_cards: dict[str, IdCardEvidence] = field(default_factory=dict)
    ss_cards: dict[str, SsCardEvidence] = field(default_factory=dict)


def _card_date(value: str) -> date:
    return datetime.strptime(value, "%Y%m%d").date()


def load_demo_cards(path: str | Path) -> DemoCards:
    """Each demo citizen's ID-card and social-security-card evidence."""
    cards = DemoCards()
    for c in load_citizens(path):
        cards.id_cards[c["id_number"]] = IdCardEvidence(
            id_number=c["id_number"],
            photo_sha256=photo_digest(demo_photo(c["key"])),
            valid_from=_card_date(c["valid_from"]),
            valid_to=None if c["valid_to"] == "长期" else _card_date(c["valid_to"]),
            authority=c["authority"],
        )
        if c.get("ss_card_issued"):
            cards.ss_cards[c["ss_card_number"]] = SsCardEvidence(
                card_number=c["ss_card_number"], issued_on=_card_date(c["ss_card_issued"])
            )
    return cards


def seed_demo_data(
    factory: sessionmaker[Session], citizens_path: str | Path, secret: str, clock: Clock
) -> int:
    """Insert the demo citizens and their records that are missing; return how many."""
    today = local_date(clock.now())
    added = 0
    with factory() as session, session.begin():
        for citizen in load_citizens(citizens_path):
            exists = session.scalar(
                select(DemoPersonRow.person_ref).where(
                    DemoPersonRow.id_number == citizen["id_number"]
                )
            )
            if exists is not None:
                continue
            _seed_person(session, citizen, secret, today, clock.now())
            added += 1
    return added


def _seed_person(
    session: Session, c: dict[str, Any], secret: str, today: date, now: datetime
) -> None:
    facts = DEMO_FACTS.get(c["key"], DemoFacts("none"))
    rng = random.Random(c["id_number"])
    ref = person_ref(c["id_number"], secret)
    birth = datetime.strptime(c["birth"], "%Y%m%d").date()
    session.add(
        DemoPersonRow(
            person_ref=ref,
            id_number=c["id_number"],
            ss_card_number=c["ss_card_number"],
            name=c["name"],
            sex=c["sex"],
            birth=birth,
            phone=c["phone"],
            bank_pan=c["bank_pan"],
            town=c["place"]["town"],
            village=c["place"]["village"],
            pension_status=facts.pension,
            elderly_allowance=facts.elderly_allowance,
        )
    )
    session.flush()
    account_fen = 0
    if facts.enrolled_year is not None:
        last = birth.year + 59 if facts.pension == "receiving" else today.year
        for i, year in enumerate(range(facts.enrolled_year, last + 1)):
            grade = facts.grades[min(i * len(facts.grades) // 8, len(facts.grades) - 1)]
            subsidy = GRADE_SUBSIDY_FEN.get(grade, 6000)
            account_fen += grade * 100 + subsidy
            session.add(
                DemoContributionRow(
                    person_ref=ref,
                    year=year,
                    grade_yuan=grade,
                    amount_fen=grade * 100,
                    subsidy_fen=subsidy,
                    paid_on=date(year, rng.randint(3, 6), rng.randint(1, 28)),
                )
            )
    if facts.pension == "receiving":
        account_part = account_fen // ACCOUNT_DIVISOR
        month = date(today.year, today.month, 1)
        for _ in range(24):
            session.add(
                DemoPensionRow(
                    person_ref=ref,
                    month=month.strftime("%Y-%m"),
                    basic_fen=BASIC_PENSION_FEN,
                    account_fen=account_part,
                    paid_on=month.replace(day=10),
                )
            )
            month = (month - timedelta(days=1)).replace(day=1)
    for year, premium in MEDICAL_PREMIUM_FEN.items():
        due = year in facts.medical_due
        session.add(
            DemoMedicalRow(
                person_ref=ref,
                year=year,
                premium_fen=premium,
                status="due" if due else "paid",
                paid_on=None if due else date(year - 1, rng.randint(9, 12), rng.randint(1, 28)),
            )
        )
    for year in range(today.year - 3, today.year + 1):
        if facts.land_mu:
            amount = round(facts.land_mu * LAND_SUBSIDY_YUAN_PER_MU * 100)
            basis = f"{facts.land_mu:g}亩 × {LAND_SUBSIDY_YUAN_PER_MU}元/亩"
            session.add(
                DemoSubsidyRow(
                    person_ref=ref,
                    year=year,
                    item="耕地地力保护补贴",
                    basis=basis,
                    amount_fen=amount,
                    paid_on=date(year, 5, rng.randint(10, 28)),
                )
            )
        if facts.elderly_allowance:
            for quarter_month in (3, 6, 9, 12):
                paid = date(year, quarter_month, 20)
                if paid > today:
                    break
                session.add(
                    DemoSubsidyRow(
                        person_ref=ref,
                        year=year,
                        item="高龄津贴",
                        basis=f"{elderly_allowance_fen(birth, paid) // 100}元/月 × 3个月",
                        amount_fen=3 * elderly_allowance_fen(birth, paid),
                        paid_on=paid,
                    )
                )
    for item_id, item_name, days_ago, final in facts.applications:
        at = now - timedelta(days=days_ago)
        _seed_application(session, c, ref, item_id, item_name, at, final)


def elderly_allowance_fen(birth: date, on: date) -> int:
    """Monthly 高龄津贴 by age: 80–89 50元, 90–99 100元, 100+ 300元; 0 below 80."""
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    if age >= 100:
        return 30000
    if age >= 90:
        return 10000
    return 5000 if age >= 80 else 0


def _seed_application(
    session: Session,
    c: dict[str, Any],
    ref: str,
    item_id: str,
    item_name: str,
    at: datetime,
    final: str,
) -> None:
    day = local_date(at)
    app = ApplicationRow(
        acceptance_no=acceptance_number(day, next_value(session, f"acceptance:{day}")),
        item_id=item_id,
        item_name=item_name,
        person_ref=ref,
        id_masked=mask_id(c["id_number"]),
        name_masked=mask_name(c["name"]),
        contact_phone=seal_phone(session, c["phone"]),
        form={"phone": mask_phone(c["phone"])},
        delivery_method="counter",
        delivery_address=None,
        status=final,
        promised_days=15,
        created_at=db_time(at),
        updated_at=db_time(at),
    )
    session.add(app)
    session.flush()
    # Its 受理回执 was printed then: the demo shows 补打 of a slip from weeks ago.
    record_acceptance_slip(session, app)
    steps = [("accepted", "已受理"), ("reviewing", "审核中")]
    if final == "done":
        steps.append(("done", "已办结，结果已推送"))
    for i, (status, note) in enumerate(steps):
        session.add(
            ApplicationEventRow(
                application_id=app.id, status=status, note=note, at=db_time(at + timedelta(days=i))
            )
        )


class DemoCitizenProvider:
    """:class:`~hub.services.provider.CitizenProvider` over the seeded demo tables."""

    def __init__(self, factory: sessionmaker[Session], cards: DemoCards | None = None) -> None:
        self._factory = factory
        # No cards (demo data off): no evidence matches, no person session opens.
        self._cards = cards or DemoCards()

    def verify_card(self, evidence: CardEvidence) -> Person | None:
        if isinstance(evidence, IdCardEvidence):
            known = self._cards.id_cards.get(evidence.id_number)
            # compare_digest: the time taken does not say how much of the photo digest matched.
            if known is None or not hmac.compare_digest(
                known.photo_sha256, evidence.photo_sha256.lower()
            ):
                return None
            if (known.valid_from, known.valid_to, known.authority) != (
                evidence.valid_from,
                evidence.valid_to,
                evidence.authority,
            ):
                return None
            return self.find_person(id_number=evidence.id_number)
        card = self._cards.ss_cards.get(evidence.card_number)
        if card is None or card.issued_on != evidence.issued_on:
            return None
        return self.find_person(ss_card_number=evidence.card_number)

    def find_person(
        self, *, id_number: str | None = None, ss_card_number: str | None = None
    ) -> Person | None:
        stmt = select(DemoPersonRow)
        if id_number is not None:
            stmt = stmt.where(DemoPersonRow.id_number == id_number)
        elif ss_card_number is not None:
            stmt = stmt.where(DemoPersonRow.ss_card_number == ss_card_number)
        else:
            return None
        with self._factory() as session:
            row = session.scalars(stmt).first()
            return _person(row) if row else None

    def find_by_ref(self, person_ref: str) -> Person | None:
        with self._factory() as session:
            row = session.get(DemoPersonRow, person_ref)
            return _person(row) if row else None

    def contributions(self, person: Person) -> list[Contribution]:
        with self._factory() as session:
            rows = session.scalars(
                select(DemoContributionRow)
                .where(DemoContributionRow.person_ref == person.person_ref)
                .order_by(DemoContributionRow.year)
            )
            return [
                Contribution(r.year, r.grade_yuan, r.amount_fen, r.subsidy_fen, r.paid_on)
                for r in rows
            ]

    def pension_payments(self, person: Person, months: int) -> list[PensionPayment]:
        with self._factory() as session:
            rows = session.scalars(
                select(DemoPensionRow)
                .where(DemoPensionRow.person_ref == person.person_ref)
                .order_by(DemoPensionRow.month.desc())
                .limit(months)
            )
            return [PensionPayment(r.month, r.basic_fen, r.account_fen, r.paid_on) for r in rows]

    def medical_years(self, person: Person) -> list[MedicalYear]:
        with self._factory() as session:
            rows = session.scalars(
                select(DemoMedicalRow)
                .where(DemoMedicalRow.person_ref == person.person_ref)
                .order_by(DemoMedicalRow.year)
            )
            return [MedicalYear(r.year, r.premium_fen, _paid(r.status), r.paid_on) for r in rows]

    def subsidies(self, person: Person) -> list[SubsidyPayment]:
        with self._factory() as session:
            rows = session.scalars(
                select(DemoSubsidyRow)
                .where(DemoSubsidyRow.person_ref == person.person_ref)
                .order_by(DemoSubsidyRow.paid_on.desc(), DemoSubsidyRow.id)
            )
            return [SubsidyPayment(r.year, r.item, r.basis, r.amount_fen, r.paid_on) for r in rows]

    def record_medical_payment(
        self, person_ref: str, year: int, amount_fen: int, order_no: str, paid_on: date
    ) -> bool:
        with self._factory() as session, session.begin():
            row = session.scalars(
                select(DemoMedicalRow)
                .where(DemoMedicalRow.person_ref == person_ref, DemoMedicalRow.year == year)
                .with_for_update()
            ).first()
            if row is None:
                session.add(
                    DemoMedicalRow(
                        person_ref=person_ref,
                        year=year,
                        premium_fen=amount_fen,
                        status="paid",
                        paid_on=paid_on,
                        order_no=order_no,
                    )
                )
                return True
            if row.status == "paid":
                return row.order_no == order_no
            row.status, row.paid_on, row.order_no = "paid", paid_on, order_no
            return True


def _paid(status: str) -> Literal["paid", "due"]:
    return "paid" if status == "paid" else "due"


def _person(row: DemoPersonRow) -> Person:
    status: PensionStatus = row.pension_status  # type: ignore[assignment]
    return Person(
        person_ref=row.person_ref,
        id_number=row.id_number,
        ss_card_number=row.ss_card_number,
        name=row.name,
        sex=row.sex,
        birth=row.birth,
        phone=row.phone,
        bank_pan=row.bank_pan,
        town=row.town,
        village=row.village,
        pension_status=status,
        elderly_allowance=row.elderly_allowance,
    )

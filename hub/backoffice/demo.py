"""Demo data for the back office (``demo_data = true``): the window clerk
``clerk`` (窗口人员, scoped to the social-insurance centre and civil affairs)
and applications in every status, some near their deadline (黄牌) and some
past it (红牌), so ``make demo`` opens on a workbench with work to do.

Seeded once (marked by the seeding actor on the events); dates count back in
working days from the start, so the warnings hold on any day the demo runs.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hub.backoffice.models import DeadlineWarningRow, StaffScope
from hub.backoffice.supervision import deadline_of
from hub.backoffice.workdays import is_working_day
from hub.backoffice.workflow import AppStatus
from hub.fleet import audit
from hub.fleet.models import Operator
from hub.services.applications import acceptance_number
from hub.services.catalogue_store import get_item
from hub.services.clock import Clock, db_time, local_date
from hub.services.contact import seal_address, seal_phone
from hub.services.identity import mask_id, mask_name, mask_phone, person_ref
from hub.services.models import ApplicationEventRow, ApplicationRow, DemoPersonRow
from hub.services.sequences import next_value
from hub.settings import HubSettings

DEMO_CLERK = "clerk"
DEMO_CLERK_SCOPES = ("兰考县社会保险中心", "兰考县民政局")
SEEDER = "演示数据"
_ADDRESS = "河南省兰考县城关镇裕禄大道100号"

# (item, working days ago, delivery, the path: (status, action, note, working days after))
_R = AppStatus.REVIEWING
_PLAN: list[tuple[str, int, str, list[tuple[str, str, str, int]]]] = [
    ("rsi_pension_claim", 0, "counter", []),
    ("fun_death_benefit", 1, "post", []),
    (
        "rsi_pension_claim",
        4,
        "counter",
        [(_R, "accept", "已由兰考县社会保险中心受理，正在审核。", 1)],
    ),
    (
        "fun_death_benefit",
        13,
        "counter",
        [(_R, "accept", "已由兰考县社会保险中心受理，正在审核。", 1)],
    ),
    ("rsi_pension_claim", 8, "counter", []),
    (
        "rsi_pension_claim",
        3,
        "counter",
        [
            (_R, "accept", "已由兰考县社会保险中心受理，正在审核。", 0),
            (
                AppStatus.CORRECTION,
                "correct",
                "需要补正：户口簿原件。请携带相关材料到兰考县政务服务中心社保窗口补正，"
                "补正期间办理时限暂停计算。",
                1,
            ),
        ],
    ),
    (
        "fun_death_benefit",
        2,
        "counter",
        [
            (_R, "accept", "已由兰考县社会保险中心受理，正在审核。", 0),
            (AppStatus.APPROVED, "approve", "已审核通过，等待办结。", 1),
        ],
    ),
    (
        "rsi_pension_claim",
        3,
        "post",
        [
            (_R, "accept", "已由兰考县社会保险中心受理，正在审核。", 0),
            (AppStatus.APPROVED, "approve", "已审核通过，等待办结。", 1),
            (AppStatus.DONE, "grant", "已办结（准予），结果将通过邮政专递寄出。", 2),
        ],
    ),
    (
        "rsi_pension_claim",
        6,
        "counter",
        [
            (_R, "accept", "已由兰考县社会保险中心受理，正在审核。", 0),
            (
                AppStatus.REJECTED,
                "refuse",
                "已办结（不予办理），原因：未达到按月领取待遇年龄。如有疑问请咨询兰考县社会保险中心。",
                2,
            ),
        ],
    ),
]


def _demo_people(session: Session) -> list[DemoPersonRow]:
    """The repository's demo citizens present in this database, in the file's
    order: the demo's work belongs to them (a hub seeded with other people, as
    the fault and privacy tests' hubs are, gets no applications it did not make)."""
    file = Path(__file__).resolve().parents[2] / "config" / "demo" / "citizens.json"
    wanted = [c["id_number"] for c in json.loads(file.read_text(encoding="utf-8"))["citizens"]]
    found = {
        p.id_number: p
        for p in session.scalars(select(DemoPersonRow).where(DemoPersonRow.id_number.in_(wanted)))
    }
    return [found[n] for n in wanted if n in found]


def _working_days_back(start: datetime, days: int) -> datetime:
    moment = start
    while days > 0:
        moment -= timedelta(days=1)
        if is_working_day(local_date(moment)):
            days -= 1
    return moment


def _working_days_on(start: datetime, days: int) -> datetime:
    moment = start
    while days > 0:
        moment += timedelta(days=1)
        if is_working_day(local_date(moment)):
            days -= 1
    return moment


def seed_demo(
    engine: Engine, factory: sessionmaker[Session], clock: Clock, settings: HubSettings
) -> None:
    """Seed the clerk and the applications, once; safe to call at every start."""
    _seed_clerk(engine, settings)
    with factory() as session, session.begin():
        seeded = session.scalars(
            select(ApplicationEventRow.id).where(ApplicationEventRow.actor == SEEDER).limit(1)
        ).first()
        people = _demo_people(session)
        if seeded is not None or not people:
            return
        now = clock.now()
        for n, (item_id, days_ago, delivery, path) in enumerate(_PLAN):
            item = get_item(session, item_id)
            if item is None:
                continue
            person = people[n % len(people)]
            created = _working_days_back(now, days_ago) - timedelta(minutes=30)
            day = local_date(created)
            row = ApplicationRow(
                acceptance_no=acceptance_number(day, next_value(session, f"acceptance:{day}")),
                item_id=item.id,
                item_name=item.name,
                person_ref=person_ref(person.id_number, settings.secret_key),
                id_masked=mask_id(person.id_number),
                name_masked=mask_name(person.name),
                contact_phone=seal_phone(session, person.phone),
                form={"phone": mask_phone(person.phone)},
                delivery_method=delivery,
                delivery_address=seal_address(session, _ADDRESS if delivery == "post" else None),
                status=AppStatus.ACCEPTED,
                promised_days=item.time_limits.promised_days,
                created_at=db_time(created),
                updated_at=db_time(created),
            )
            session.add(row)
            session.flush()
            steps = [(AppStatus.ACCEPTED, "", "窗口收件，已受理", 0), *path]
            for status, action, note, after in steps:
                at = min(_working_days_on(created, after) + timedelta(minutes=5), now)
                session.add(
                    ApplicationEventRow(
                        application_id=row.id,
                        status=status,
                        note=note,
                        at=db_time(at),
                        action=action,
                        actor=SEEDER,
                    )
                )
                row.status = status
                row.updated_at = db_time(at)
            session.flush()
            session.refresh(row, ["events"])
            _mark_past_warnings(session, row, now, settings.deadline_yellow_share)


def _mark_past_warnings(
    session: Session, row: ApplicationRow, now: datetime, yellow_share: float
) -> None:
    """The seeded history's 红牌/黄牌 count as raised back then: a demo start does
    not post a burst of old warnings to the alert webhook; new ones still go."""
    level = deadline_of(row, local_date(now), yellow_share).level
    for raised in {"yellow": ["yellow"], "red": ["yellow", "red"]}.get(level, []):
        session.add(DeadlineWarningRow(application_id=row.id, level=raised, raised_at=db_time(now)))


def _seed_clerk(engine: Engine, settings: HubSettings) -> None:
    from hub.fleet.clock import utcnow
    from hub.fleet.console.passwords import hash_password
    from hub.fleet.console.roles import STAFF

    if not settings.bootstrap_password:
        return
    with engine.begin() as conn:
        if conn.execute(select(Operator.id).where(Operator.username == DEMO_CLERK)).first():
            return
        try:
            with conn.begin_nested():
                operator_id = conn.execute(
                    insert(Operator)
                    .values(
                        username=DEMO_CLERK,
                        display_name="社保窗口",
                        role=STAFF,
                        password_hash=hash_password(settings.bootstrap_password),
                        created_at=utcnow(),
                        must_change_password=False,
                        demo_account=True,
                    )
                    .returning(Operator.id)
                ).scalar_one()
                for department in DEMO_CLERK_SCOPES:
                    conn.execute(
                        insert(StaffScope).values(
                            operator_id=operator_id, department=department, item_id=""
                        )
                    )
                audit.record(conn, "系统", "operator_create", DEMO_CLERK, "演示账号")
        except IntegrityError:
            pass  # another hub process created it first

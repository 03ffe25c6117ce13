"""红牌/黄牌 at the right working-day boundaries, across 国庆节 and its make-up
Saturday, with the clock stopped while 补正 material is awaited (a manual clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.backoffice.models import DeadlineWarningRow
from hub.backoffice.supervision import deadline_of, on_time_rate, sweep
from hub.backoffice.workflow import Action, find, perform
from hub.services.clock import ManualClock, local_date
from hub.services.context import ServiceContext
from tests.hub.backoffice.conftest import apply

# Tuesday 2026-09-29, 10:00 China Standard Time: the day before the National Day holiday.
ACCEPTED = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)
SHARE = 0.8  # yellow from the 4th of 5 working days


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(ACCEPTED)


def five_day_application(svc_client: TestClient, ctx: ServiceContext) -> str:
    no = apply(svc_client)
    with ctx.factory() as s, s.begin():
        find(s, no).promised_days = 5
    return no


def move_to(clock: ManualClock, day: int, month: int = 10) -> datetime:
    target = datetime(2026, month, day, 2, 0, tzinfo=UTC)
    clock.advance((target - clock.now()).total_seconds())
    return target


def warnings_at(ctx: ServiceContext, clock: ManualClock, no: str, day: int) -> list[str]:
    now = move_to(clock, day)
    with ctx.factory() as s, s.begin():
        payloads = sweep(s, now, SHARE)
    return [p["kind"] for p in payloads if p["subject"] == no]


def test_yellow_on_the_make_up_saturday_red_after_the_due_day(
    svc_client: TestClient, ctx: ServiceContext, clock: ManualClock
) -> None:
    no = five_day_application(svc_client, ctx)
    # Working days after 09-29: 09-30 (1), 10-08 (2), 10-09 (3), Sat 10-10 (4), 10-12 (5).
    assert warnings_at(ctx, clock, no, 7) == []  # a holiday: 1 day used
    assert warnings_at(ctx, clock, no, 9) == []  # 3 used
    assert warnings_at(ctx, clock, no, 10) == ["deadline_yellow"]  # 调休 Saturday: 4 used
    assert warnings_at(ctx, clock, no, 11) == []  # raised once
    with ctx.factory() as s:
        d = deadline_of(find(s, no), local_date(clock.now()), SHARE)
    assert (d.due.isoformat(), d.used, d.remaining, d.level) == ("2026-10-12", 4, 1, "yellow")
    assert warnings_at(ctx, clock, no, 12) == []  # due today: still yellow
    assert warnings_at(ctx, clock, no, 13) == ["deadline_red"]
    with ctx.factory() as s:
        d = deadline_of(find(s, no), local_date(clock.now()), SHARE)
        levels = s.scalars(select(DeadlineWarningRow.level).order_by(DeadlineWarningRow.id))
        assert list(levels) == ["yellow", "red"]
    assert (d.level, d.remaining_text) == ("red", "已超期1个工作日")


def test_correction_stops_the_clock_until_the_material_arrives(
    svc_client: TestClient, ctx: ServiceContext, clock: ManualClock
) -> None:
    no = five_day_application(svc_client, ctx)
    move_to(clock, 30, month=9)
    with ctx.factory() as s, s.begin():
        perform(s, find(s, no), Action.CORRECT, actor="clerk1", now=clock.now(), reason="户口簿")
    # Waiting from 09-30: 10-08, 10-09, 10-10 and 10-12 do not count.
    assert warnings_at(ctx, clock, no, 12) == []
    with ctx.factory() as s:
        d = deadline_of(find(s, no), local_date(clock.now()), SHARE)
    assert d.stopped and d.used == 1 and d.remaining_text.startswith("补正中，计时暂停")
    with ctx.factory() as s, s.begin():
        perform(s, find(s, no), Action.RESUME, actor="clerk1", now=clock.now())
    # Back on 10-12 (counted as a waiting day): 10-13 (2), 10-14 (3), 10-15 (4).
    assert warnings_at(ctx, clock, no, 14) == []
    assert warnings_at(ctx, clock, no, 15) == ["deadline_yellow"]
    with ctx.factory() as s:
        d = deadline_of(find(s, no), local_date(clock.now()), SHARE)
    assert not d.stopped and d.due.isoformat() == "2026-10-16"


def test_concluded_applications_count_for_the_on_time_rate(
    svc_client: TestClient, ctx: ServiceContext, clock: ManualClock
) -> None:
    no = five_day_application(svc_client, ctx)
    for action in (Action.ACCEPT, Action.APPROVE, Action.GRANT):
        with ctx.factory() as s, s.begin():
            perform(s, find(s, no), action, actor="clerk1", now=clock.now())
    clock.advance(timedelta(days=30).total_seconds())
    with ctx.factory() as s, s.begin():
        d = deadline_of(find(s, no), local_date(clock.now()), SHARE)
        assert d.level == "" and d.remaining == 5  # concluded the same day
        assert [p for p in sweep(s, clock.now(), SHARE) if p["subject"] == no] == []
        on_time, concluded = on_time_rate(s, local_date(clock.now()), SHARE)
    assert concluded >= 1 and on_time >= 1


def test_warnings_go_to_the_alert_webhook_once_without_personal_data(
    svc_client: TestClient, ctx: ServiceContext, clock: ManualClock
) -> None:
    from typing import Any

    from hub.backoffice.runtime import BackOffice
    from hub.backoffice.sms import RecordingGateway, SmsDispatcher

    sent: list[dict[str, Any]] = []
    office = BackOffice(
        factory=ctx.factory,
        clock=clock,
        dispatcher=SmsDispatcher(ctx.factory, RecordingGateway(), clock),
        yellow_share=SHARE,
        interval_s=60,
        send_alerts=sent.extend,
    )
    no = five_day_application(svc_client, ctx)
    move_to(clock, 10)
    office.check_deadlines()
    office.check_deadlines()
    mine = [p for p in sent if p["subject"] == no]
    assert [(p["event"], p["kind"], p["label"]) for p in mine] == [
        ("raised", "deadline_yellow", "黄牌预警")
    ]
    assert "剩余1个工作日" in mine[0]["detail"] and "2026-10-12" in mine[0]["detail"]
    assert "赵" not in mine[0]["detail"] and "186" not in mine[0]["detail"]

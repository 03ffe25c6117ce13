"""Efficiency supervision (seeds/000 (九)): time limits and 红牌/黄牌 warnings.

An application's promised time limit (承诺时限) counts working days on the
official calendar (:mod:`hub.backoffice.workdays`) from the day after its
acceptance. 补正 stops the clock: the working days from the day after the
correction was asked for up to the day the material arrived (or today, while
it has not) extend the limit.

- 黄牌 (yellow): at least ``yellow_share`` of the limit is used and the
  application is not concluded;
- 红牌 (red): the limit is passed (more working days used than promised).

Each warning is raised once per application and level (``bo_deadline_warnings``)
and sent through the alert webhook; the workbench and the console's overview
show them, and the statistics count on-time conclusions (按时办结率).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from hub.backoffice.models import DeadlineWarningRow
from hub.backoffice.workdays import add_working_days, working_days_between
from hub.backoffice.workflow import CLOSED, CONCLUDED, AppStatus
from hub.services.clock import db_time, local_date
from hub.services.models import ApplicationEventRow, ApplicationRow

Level = Literal["", "yellow", "red"]
LEVEL_LABELS = {"yellow": "黄牌预警", "red": "红牌警告"}
DEFAULT_YELLOW_SHARE = 0.8


@dataclass(frozen=True)
class Deadline:
    """Where an application stands against its time limit on a given day."""

    due: date  # the last working day of the limit, extended by the stops
    used: int  # working days used (stops excluded)
    remaining: int  # working days left; negative when overdue
    stopped: bool  # the clock is stopped (待补正)
    level: Level

    @property
    def remaining_text(self) -> str:
        if self.stopped:
            return f"补正中，计时暂停（剩余{self.remaining}个工作日）"
        if self.remaining < 0:
            return f"已超期{-self.remaining}个工作日"
        if self.remaining == 0:
            return "今日到期"
        return f"剩余{self.remaining}个工作日"


def _paused_days(events: Sequence[ApplicationEventRow], until: date) -> tuple[int, bool]:
    """Working days spent waiting for 补正 material up to ``until``, and
    whether the clock is stopped at the end of the history."""
    paused = 0
    stopped_on: date | None = None
    for event in events:
        day = local_date(event.at)
        if stopped_on is not None:
            paused += working_days_between(stopped_on, min(day, until))
            stopped_on = None
        if event.status == AppStatus.CORRECTION:
            stopped_on = day
    if stopped_on is not None:
        paused += working_days_between(stopped_on, until)
    return paused, stopped_on is not None


def deadline_of(row: ApplicationRow, today: date, yellow_share: float) -> Deadline:
    """``row``'s deadline as of ``today`` (for a concluded one: as of its last event)."""
    start = local_date(row.created_at)
    events = list(row.events)
    closed = row.status in CLOSED
    until = local_date(events[-1].at) if closed and events else today
    paused, stopped = _paused_days(events, until)
    used = working_days_between(start, until) - paused
    remaining = row.promised_days - used
    level: Level = ""
    if not closed:
        if remaining < 0:
            level = "red"
        elif used >= math.ceil(yellow_share * row.promised_days):
            level = "yellow"
    return Deadline(
        due=add_working_days(start, row.promised_days + paused),
        used=used,
        remaining=remaining,
        stopped=stopped,
        level=level,
    )


def on_time_rate(session: Session, today: date, yellow_share: float) -> tuple[int, int]:
    """(concluded within the limit, concluded) over every application: 按时办结率."""
    rows = session.scalars(
        select(ApplicationRow)
        .where(ApplicationRow.status.in_(list(CONCLUDED)))
        .options(selectinload(ApplicationRow.events))
    ).all()
    on_time = sum(1 for r in rows if deadline_of(r, today, yellow_share).remaining >= 0)
    return on_time, len(rows)


def webhook_payload(row: ApplicationRow, level: str, d: Deadline, at: datetime) -> dict[str, Any]:
    """The alert webhook's JSON for a warning (the shape of hub.fleet.alerts', no
    terminal; nothing personal: the 受理编号 and the item only)."""
    return {
        "event": "raised",
        "terminal_id": None,
        "kind": f"deadline_{level}",
        "label": LEVEL_LABELS[level],
        "subject": row.acceptance_no,
        "detail": f"{row.item_name}：{d.remaining_text}，办结期限{d.due.isoformat()}",
        "at": db_time(at).isoformat() + "Z",
    }


def sweep(session: Session, now: datetime, yellow_share: float) -> list[dict[str, Any]]:
    """Raise the warnings due now (once per application and level), in the
    caller's transaction; the webhook payloads to send after commit."""
    today = local_date(now)
    rows = session.scalars(
        select(ApplicationRow)
        .where(ApplicationRow.status.not_in(list(CLOSED)))
        .options(selectinload(ApplicationRow.events))
    ).all()
    payloads: list[dict[str, Any]] = []
    conn = session.connection()
    for row in rows:
        d = deadline_of(row, today, yellow_share)
        levels = {"yellow": ["yellow"], "red": ["yellow", "red"]}.get(d.level, [])
        for level in levels:
            if _raise_once(conn, row.id, level, now):
                payloads.append(webhook_payload(row, level, d, now))
    return payloads


def _raise_once(conn: Connection, application_id: int, level: str, now: datetime) -> bool:
    exists = conn.execute(
        select(DeadlineWarningRow.id).where(
            DeadlineWarningRow.application_id == application_id, DeadlineWarningRow.level == level
        )
    ).first()
    if exists is not None:
        return False
    try:
        with conn.begin_nested():
            conn.execute(
                insert(DeadlineWarningRow).values(
                    application_id=application_id, level=level, raised_at=db_time(now)
                )
            )
    except IntegrityError:
        return False  # another hub process raised it a moment ago
    return True

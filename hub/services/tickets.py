"""取号: queue numbers per service point, business type and day (seeds/003 §19).

Numbers are the type's letter and a daily sequence (``A012``); the queue
restarts each day in China Standard Time.

Scoped to the asking terminal (issue 13, attack class 9): a terminal sees and
draws numbers only at the service point it enrolled at (its place's
``service_point``), and at most ``ticket_limit_per_minute`` /
``ticket_limit_per_hour`` of them (:class:`~hub.settings.HubSettings`), so a
stolen credential cannot drain another hall's queue or flood its own.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.deps import get_settings
from hub.fleet.auth import TerminalIdentity, current_terminal
from hub.services.catalogue import Place
from hub.services.clock import db_time, local_date, local_text
from hub.services.context import Ctx, Db, ServiceContext
from hub.services.errors import Forbidden, NotFound, ServiceRoute, TooManyRequests
from hub.services.models import TicketRow
from hub.services.printable import Printable, lines
from hub.services.sequences import next_value
from hub.settings import HubSettings
from protocol.i18n import N_

router = APIRouter(route_class=ServiceRoute, prefix="/tickets", tags=["tickets"])
# The service API is mounted behind this same dependency (hub/app.py); FastAPI
# computes it once per request, here it gives the routes the terminal itself.
AskingTerminal = Annotated[TerminalIdentity, Depends(current_terminal)]
Settings = Annotated[HubSettings, Depends(get_settings)]


class TicketTypeOut(BaseModel):
    code: str
    name: str
    waiting: int


class TicketTypesOut(BaseModel):
    service_point: str
    service_point_name: str
    types: list[TicketTypeOut]


class TicketIn(BaseModel):
    service_point: str | None = Field(
        None, max_length=64, description="the terminal's own service point (the default)"
    )
    business_type: str = Field(pattern=r"^[A-Z]$", description="letter from /tickets/types")


class TicketOut(BaseModel):
    number: str
    waiting_ahead: int
    business_type: str
    business_type_name: str
    service_point_name: str
    issued_at: str
    printable: Printable


def _place(ctx: ServiceContext, code: str) -> Place:
    place = ctx.catalogue.place(code)
    if place is None or not place.ticket_types:
        raise NotFound(N_("该服务点暂未开通取号服务"))
    return place


def _own_place(ctx: ServiceContext, terminal: TerminalIdentity, code: str | None) -> Place:
    """The terminal's own service point; ``code``, when given, must name it.

    Raises :class:`NotFound` for a point without tickets and :class:`Forbidden`
    for another point's queue or a terminal enrolled without a service point.
    """
    own = terminal.service_point
    if own is None:
        raise Forbidden(N_("本终端未登记所在服务点，不能取号，请联系工作人员"))
    place = _place(ctx, code or own)
    if place.code != own:
        raise Forbidden(N_("只能在本服务点取号"))
    return place


def issued_since(session: Session, terminal_id: int, since: datetime) -> int:
    """Tickets ``terminal_id`` drew at or after ``since`` (a database time)."""
    stmt = select(func.count(TicketRow.id)).where(
        TicketRow.terminal_id == terminal_id, TicketRow.issued_at >= since
    )
    return int(session.scalar(stmt) or 0)


def _check_rate(
    session: Session, terminal: TerminalIdentity, settings: HubSettings, now: datetime
) -> None:
    """:class:`TooManyRequests` when the terminal is over either limit.

    Counted in the database, so hub processes behind one load balancer share
    the count; a refused request draws nothing and so does not count.
    """
    for window, limit in (
        (timedelta(minutes=1), settings.ticket_limit_per_minute),
        (timedelta(hours=1), settings.ticket_limit_per_hour),
    ):
        if issued_since(session, terminal.id, db_time(now - window)) >= limit:
            raise TooManyRequests(N_("取号过于频繁，请稍后再试"))


def waiting_count(session: Session, point: str, day: date, letter: str, before: int | None) -> int:
    """Tickets still waiting in one queue (issued before sequence ``before`` if given)."""
    stmt = select(func.count(TicketRow.id)).where(
        TicketRow.service_point == point,
        TicketRow.day == day,
        TicketRow.business_type == letter,
        TicketRow.status == "waiting",
    )
    if before is not None:
        stmt = stmt.where(TicketRow.seq < before)
    return int(session.scalar(stmt) or 0)


@router.get("/types", response_model=TicketTypesOut, summary="Business types at a service point")
def ticket_types(
    service_point: Annotated[str, Query(max_length=64)],
    ctx: Ctx,
    db: Db,
    terminal: AskingTerminal,
) -> TicketTypesOut:
    place = _own_place(ctx, terminal, service_point)
    today = local_date(ctx.clock.now())
    return TicketTypesOut(
        service_point=place.code,
        service_point_name=place.name,
        types=[
            TicketTypeOut(
                code=t.code, name=t.name, waiting=waiting_count(db, place.code, today, t.code, None)
            )
            for t in place.ticket_types
        ],
    )


@router.post(
    "", response_model=TicketOut, status_code=status.HTTP_201_CREATED, summary="Take a number"
)
def take_ticket(
    body: TicketIn, ctx: Ctx, db: Db, terminal: AskingTerminal, settings: Settings
) -> TicketOut:
    place = _own_place(ctx, terminal, body.service_point)
    kind = next((t for t in place.ticket_types if t.code == body.business_type), None)
    if kind is None:
        raise NotFound(N_("该服务点没有这类业务"))
    now = ctx.clock.now()
    _check_rate(db, terminal, settings, now)
    today = local_date(now)
    seq = next_value(db, f"ticket:{place.code}:{today}:{kind.code}")
    number = f"{kind.code}{seq:03d}"
    db.add(
        TicketRow(
            service_point=place.code,
            day=today,
            business_type=kind.code,
            seq=seq,
            number=number,
            status="waiting",
            issued_at=db_time(now),
            terminal_id=terminal.id,
        )
    )
    db.flush()
    ahead = waiting_count(db, place.code, today, kind.code, seq)
    return TicketOut(
        number=number,
        waiting_ahead=ahead,
        business_type=kind.code,
        business_type_name=kind.name,
        service_point_name=place.name,
        issued_at=local_text(now),
        printable=Printable(
            title=place.name,
            lines=lines(
                (N_("排队号"), number),
                (N_("业务类型"), kind.name),
                (N_("前面等候"), f"{ahead}人"),
            ),
            notes=[N_("请留意叫号，过号请重新取号"), N_("当日有效")],
            issued_at=local_text(now),
        ),
    )


def call_next(session: Session, point: str, letter: str, now: datetime) -> str | None:
    """Mark the oldest waiting ticket of a queue called; its number, or None (for the console)."""
    row = session.scalars(
        select(TicketRow)
        .where(
            TicketRow.service_point == point,
            TicketRow.day == local_date(now),
            TicketRow.business_type == letter,
            TicketRow.status == "waiting",
        )
        .order_by(TicketRow.seq)
        .limit(1)
    ).first()
    if row is None:
        return None
    row.status = "called"
    return row.number

"""好差评: five-level evaluations of a service (seeds/003 §34, seeds/004 §22).

Stored without personal data: the service, the level, the reasons, an
opaque terminal session id and the time. 差评 (levels 4–5) must give at least
one reason so the department can rectify it (实名差评整改 needs a cause).

One rating per kiosk session (issue 13, attack class 9): a rating is stored
once per (terminal, ``terminal_session_id``), held by a unique index; asking
again answers with the first rating and stores nothing. Terminals send their
ratings as journal records (:data:`protocol.events.RATING_RECORD`, through the
outbox, so none is lost while the hub is down), which the journal ingest hands
to :func:`store_journaled`; ``POST /ratings`` stays for direct callers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from weakref import WeakKeyDictionary

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from hub.fleet.auth import TerminalIdentity, current_terminal
from hub.services.clock import db_time
from hub.services.context import Ctx, Db
from hub.services.errors import BadRequest, NotFound, ServiceError, ServiceRoute
from hub.services.models import CatalogueItemRow, RatingRow
from protocol.events import RatingRecord
from protocol.i18n import N_
from protocol.services import GENERAL_SERVICE, TERMINAL_FUNCTION

log = logging.getLogger(__name__)

router = APIRouter(route_class=ServiceRoute, prefix="/ratings", tags=["ratings"])

LEVELS: dict[int, str] = {
    1: N_("非常满意"),
    2: N_("满意"),
    3: N_("基本满意"),
    4: N_("不满意"),
    5: N_("非常不满意"),
}


class Reason(BaseModel):
    code: str
    text: str
    kind: Literal["good", "bad"]


REASONS: tuple[Reason, ...] = (
    Reason(code="guide_clear", text=N_("办事指南清晰准确"), kind="good"),
    Reason(code="process_simple", text=N_("办理流程简便"), kind="good"),
    Reason(code="fast", text=N_("办理速度快"), kind="good"),
    Reason(code="easy_terminal", text=N_("自助终端操作方便"), kind="good"),
    Reason(code="elder_friendly", text=N_("大字和语音对老人友好"), kind="good"),
    Reason(code="guide_unclear", text=N_("办事指南不清晰"), kind="bad"),
    Reason(code="many_visits", text=N_("需要多次跑动"), kind="bad"),
    Reason(code="too_slow", text=N_("办理时间太长"), kind="bad"),
    Reason(code="hard_to_use", text=N_("终端操作复杂"), kind="bad"),
    Reason(code="device_fault", text=N_("设备故障"), kind="bad"),
    Reason(code="hard_to_read", text=N_("字太小或声音听不清"), kind="bad"),
    Reason(code="other", text=N_("其他问题"), kind="bad"),
)
_BY_CODE = {r.code: r for r in REASONS}
MAX_AGE = timedelta(days=180)  # ratings may arrive late through a terminal's outbox
MAX_AHEAD = timedelta(minutes=10)  # clock skew allowed on a terminal


class Level(BaseModel):
    level: int
    name: str


class ReasonsOut(BaseModel):
    levels: list[Level]
    reasons: list[Reason]


class RatingIn(BaseModel):
    service_id: str = Field(max_length=64, description="catalogue item id, or 'general'")
    level: int = Field(ge=1, le=5, description="1 非常满意 … 5 非常不满意")
    reasons: Annotated[list[str], Field(max_length=12)] = Field(default_factory=list)
    terminal_session_id: str = Field(min_length=1, max_length=64, description="opaque")
    at: datetime = Field(description="when the person rated, ISO 8601 (UTC if no zone)")


class RatingOut(BaseModel):
    id: int
    level_name: str


@router.get("/reasons", response_model=ReasonsOut, summary="Levels and the fixed reasons")
def reasons() -> ReasonsOut:
    return ReasonsOut(
        levels=[Level(level=k, name=v) for k, v in LEVELS.items()], reasons=list(REASONS)
    )


AskingTerminal = Annotated[TerminalIdentity, Depends(current_terminal)]


def _check(conn: Connection, body: RatingIn, now: datetime) -> datetime:
    """Validate ``body`` against the catalogue and the clock; its time, in UTC.
    Raises :class:`NotFound` or :class:`BadRequest` in plain Chinese."""
    known = body.service_id == GENERAL_SERVICE or TERMINAL_FUNCTION.fullmatch(body.service_id)
    if not known:
        found = conn.execute(
            select(CatalogueItemRow.id).where(CatalogueItemRow.id == body.service_id)
        ).first()
        if found is None:
            raise NotFound(N_("未找到被评价的服务事项"))
    bad = body.level >= 4
    for code in body.reasons:
        reason = _BY_CODE.get(code)
        if reason is None:
            raise BadRequest(f"未知的评价原因：{code[:32]}")
        if (reason.kind == "bad") != bad:
            raise BadRequest(N_("所选原因与评价等级不一致"))
    if bad and not body.reasons:
        raise BadRequest(N_("不满意评价请至少选择一项原因"))
    at = body.at if body.at.tzinfo else body.at.replace(tzinfo=UTC)
    if not now - MAX_AGE <= at <= now + MAX_AHEAD:
        raise BadRequest(N_("评价时间不正确"))
    return at


def _first(conn: Connection, terminal_id: int, session_id: str) -> tuple[int, int] | None:
    row = conn.execute(
        select(RatingRow.id, RatingRow.level).where(
            RatingRow.terminal_id == terminal_id, RatingRow.terminal_session_id == session_id
        )
    ).first()
    return (int(row.id), int(row.level)) if row is not None else None


RatingHook = Callable[[Connection, int, datetime], None]
_HOOKS: WeakKeyDictionary[Engine, list[RatingHook]] = WeakKeyDictionary()


def on_stored(engine: Engine, hook: RatingHook) -> None:
    """Call ``hook(conn, rating_id, now)`` in the transaction that stores each new
    rating on ``engine``. Ratings are written with Core (the journal ingest has
    no ORM session), which ORM flush listeners never see; the upstream report
    (hub/backoffice/upstream.py) captures them through this."""
    _HOOKS.setdefault(engine, []).append(hook)


def store(
    conn: Connection, terminal_id: int, body: RatingIn, now: datetime
) -> tuple[int, int, bool]:
    """Store ``body`` for ``terminal_id`` unless that kiosk session already rated:
    (rating id, its level, whether it was stored now). ``conn`` is a Core
    connection inside the caller's transaction.

    Raises :class:`NotFound` / :class:`BadRequest` for a rating that cannot be stored.
    """
    at = _check(conn, body, now)
    first = _first(conn, terminal_id, body.terminal_session_id)
    if first is not None:
        return (*first, False)
    try:
        with conn.begin_nested():  # another hub process may store the same session now
            rating_id = conn.execute(
                insert(RatingRow)
                .values(
                    service_id=body.service_id,
                    level=body.level,
                    reasons=sorted(set(body.reasons)),
                    terminal_session_id=body.terminal_session_id,
                    terminal_id=terminal_id,
                    at=db_time(at),
                    received_at=db_time(now),
                )
                .returning(RatingRow.id)
            ).scalar_one()
    except IntegrityError:
        first = _first(conn, terminal_id, body.terminal_session_id)
        if first is None:
            raise
        return (*first, False)
    for hook in _HOOKS.get(conn.engine, ()):
        hook(conn, int(rating_id), now)
    return int(rating_id), body.level, True


def store_journaled(
    conn: Connection,
    terminal_id: int,
    key: str,
    at: str | None,
    data: dict[str, Any],
    now: datetime,
) -> bool:
    """Store a rating a terminal journaled (``protocol.events.RATING_RECORD``);
    whether a new rating row was written.

    The journal record itself is kept whatever happens (it is the terminal's
    account of what it did), so a rating that cannot be stored is logged, by
    its record key and the reason (nothing personal), and not raised.
    """
    try:
        record = RatingRecord.model_validate(data)
        body = RatingIn.model_validate(
            {
                "service_id": record.service_id,
                "level": record.level,
                "reasons": record.reasons,
                "terminal_session_id": record.session,
                "at": at or now,  # when the person rated, as the terminal's clock had it
            }
        )
        return store(conn, terminal_id, body, now)[2]
    except ValidationError as exc:
        log.warning(
            "rating record %s of terminal %d malformed: %s",
            key,
            terminal_id,
            [e["type"] for e in exc.errors()],
        )
    except ServiceError as exc:
        log.warning("rating record %s of terminal %d not stored: %s", key, terminal_id, exc.detail)
    return False


@router.post(
    "",
    response_model=RatingOut,
    status_code=status.HTTP_201_CREATED,
    summary="Store a rating (once per kiosk session)",
    responses={200: {"model": RatingOut, "description": "This session had rated: the first"}},
)
def rate(
    body: RatingIn, ctx: Ctx, db: Db, terminal: AskingTerminal, response: Response
) -> RatingOut:
    rating_id, level, stored = store(db.connection(), terminal.id, body, ctx.clock.now())
    if not stored:
        response.status_code = status.HTTP_200_OK
    return RatingOut(id=rating_id, level_name=LEVELS[level])

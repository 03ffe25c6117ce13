"""办件工作台: window and department staff work the applications of their own
departments and items (``hub/backoffice/``), and the supervision page every
viewer sees (红牌/黄牌 by department, 按时办结率, the SMS outbox).

- ``staff`` accounts (permission ``work``) see only applications of items their
  scopes cover; acting on any other is refused (403, audited), as is an
  action the status does not allow (the state machine's sentence, audited).
- Security administrators set an account's scopes (办理范围).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from hub.backoffice import sms, supervision
from hub.backoffice.runtime import BackOffice
from hub.backoffice.scopes import (
    ScopeError,
    catalogue_items,
    item_ids_in,
    parse_scopes,
    scopes_of,
    set_scopes,
)
from hub.backoffice.workflow import (
    CLOSED,
    STATUS_LABELS,
    TRANSITIONS,
    AppStatus,
    actions_from,
    find,
    parse_action,
    perform,
)
from hub.fleet import audit
from hub.fleet.console import roles
from hub.fleet.console.security import (
    ConsoleUser,
    Db,
    Require,
    RowId,
    SecurityAdmin,
    Viewer,
    client_of,
    refuse,
)
from hub.fleet.console.views import render, see_other
from hub.fleet.models import Operator
from hub.services.clock import local_date, local_text
from hub.services.contact import address_of
from hub.services.errors import ServiceError
from hub.services.models import ApplicationRow

router = APIRouter(tags=["console"], include_in_schema=False)
Staff = Annotated[ConsoleUser, Depends(Require(roles.WORK))]
_PAGE_SIZE = 300
_LEVEL_ORDER = {"red": 0, "yellow": 1, "": 2}


def _office(request: Request) -> BackOffice:
    office: BackOffice = request.app.state.backoffice
    return office


@dataclass(frozen=True)
class WorkItem:
    """One row of the workbench."""

    row: ApplicationRow
    deadline: supervision.Deadline
    actions: list[tuple[str, str, bool, bool]]  # (action, label, needs reason, needs waybill)
    address: str | None


@router.get("/workbench")
def workbench_page(
    request: Request,
    user: Staff,
    db: Db,
    status: Annotated[str, Query(max_length=16)] = "open",
) -> HTMLResponse:
    office = _office(request)
    items = catalogue_items(db)
    scopes = scopes_of(db, user.operator_id)
    mine = item_ids_in(scopes, items)
    rows = db.scalars(
        select(ApplicationRow)
        .where(ApplicationRow.item_id.in_(mine))
        .options(selectinload(ApplicationRow.events))
        .order_by(ApplicationRow.created_at.desc())
        .limit(_PAGE_SIZE)
    ).all()
    today = local_date(office.clock.now())
    counts = Counter(r.status for r in rows)
    levels = Counter[str]()
    work: list[WorkItem] = []
    for r in rows:
        d = supervision.deadline_of(r, today, office.yellow_share)
        levels[d.level] += 1
        if not _status_matches(r.status, status):
            continue
        work.append(_work_item(db, r, d))
    work.sort(key=lambda w: (_LEVEL_ORDER[w.deadline.level], w.deadline.due, w.row.id))
    return render(
        request,
        "workbench.html",
        user,
        work=work,
        scopes=scopes,
        counts=counts,
        open_count=sum(n for s, n in counts.items() if s not in CLOSED),
        red=levels["red"],
        yellow=levels["yellow"],
        f_status=status,
        statuses=list(AppStatus),
        STATUS_TEXT=STATUS_LABELS,
        local_text=local_text,
    )


def _status_matches(status: str, wanted: str) -> bool:
    if wanted == "open":
        return status not in CLOSED
    return wanted in ("", "all") or status == wanted


def _work_item(db: Db, r: ApplicationRow, d: supervision.Deadline) -> WorkItem:
    actions = [
        (a.value, TRANSITIONS[a].label, TRANSITIONS[a].needs_reason, TRANSITIONS[a].needs_waybill)
        for a in actions_from(r.status, r.delivery_method)
    ]
    # Staff post the result: the address is opened only where it is about to be needed.
    to_post = r.delivery_method == "post" and r.status in (AppStatus.APPROVED, AppStatus.DONE)
    address = address_of(db, r) if to_post else None
    return WorkItem(r, d, actions, address)


@router.post("/workbench/act")
def act(
    request: Request,
    user: Staff,
    db: Db,
    acceptance_no: Annotated[str, Form(min_length=1, max_length=20)],
    action: Annotated[str, Form(min_length=1, max_length=24)],
    reason: Annotated[str, Form(max_length=400)] = "",
    waybill: Annotated[str, Form(max_length=60)] = "",
) -> Response:
    office = _office(request)
    client = client_of(request)
    target = f"application:{acceptance_no}"
    try:
        row = find(db, acceptance_no)
    except ServiceError as exc:
        raise HTTPException(404, detail=exc.detail) from None
    item = catalogue_items(db).get(row.item_id)
    scopes = scopes_of(db, user.operator_id)
    if item is None or not any(s.covers(item) for s in scopes):
        raise refuse(db, request, user, f"{target} 不在办理范围内", "该办件不在您的办理范围内")
    try:
        step = parse_action(action)
        done = perform(
            db,
            row,
            step,
            actor=user.username,
            now=office.clock.now(),
            reason=reason,
            waybill=waybill,
        )
    except ServiceError as exc:
        db.rollback()
        audit.record(
            db.connection(), user.username, "application_action", target,
            f"{action[:24]}: {exc.detail}", "refused", client,
        )  # fmt: skip
        db.commit()
        return see_other(db, f"/console/workbench?status=all&err={_q(exc.detail)}")
    audit.record(
        db.connection(),
        user.username,
        "application_action",
        target,
        f"{done.action.value}: {done.source.value}→{done.target.value}",
        "ok",
        client,
    )
    response = see_other(
        db, f"/console/workbench?status=all&msg={_q(f'{acceptance_no}：{TRANSITIONS[step].label}')}"
    )
    office.dispatcher.wake()  # committed: its SMS may go now
    return response


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text[:180])


# -- 办理范围: which departments and items a staff account handles ----------------


@router.get("/operators/{operator_id}/scopes")
def scopes_page(request: Request, operator_id: RowId, user: SecurityAdmin, db: Db) -> HTMLResponse:
    operator = db.get(Operator, operator_id)
    if operator is None:
        raise HTTPException(404, detail="账号不存在")
    items = catalogue_items(db)
    departments = sorted({i.department for i in items.values()})
    return render(
        request,
        "staff_scopes.html",
        user,
        operator=operator,
        scopes=scopes_of(db, operator_id),
        departments=departments,
        items=sorted(items.values(), key=lambda i: (i.department, i.id)),
    )


@router.post("/operators/{operator_id}/scopes")
def save_scopes(
    request: Request,
    operator_id: RowId,
    user: SecurityAdmin,
    db: Db,
    scopes: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    operator = db.get(Operator, operator_id)
    if operator is None:
        raise HTTPException(404, detail="账号不存在")
    url = f"/console/operators/{operator_id}/scopes"
    try:
        parsed = parse_scopes(scopes, catalogue_items(db))
    except ScopeError as exc:
        return see_other(db, f"{url}?err={_q(str(exc))}")
    set_scopes(db, operator_id, parsed)
    audit.record(
        db.connection(),
        user.username,
        "staff_scopes",
        operator.username,
        "；".join(str(s) for s in parsed) or "（无）",
        "ok",
        client_of(request),
    )
    return see_other(db, f"{url}?msg={_q('办理范围已保存')}")


# -- 办件督办: warnings, on-time rate and the SMS outbox, for every viewer ----------


def supervision_summary(request: Request, db: Session, today: date | None = None) -> dict[str, Any]:
    """Warnings by department, the on-time rate and the outbox counts (no personal data)."""
    office = _office(request)
    today = today or local_date(office.clock.now())
    items = catalogue_items(db)
    open_rows = db.scalars(
        select(ApplicationRow)
        .where(ApplicationRow.status.not_in(list(CLOSED)))
        .options(selectinload(ApplicationRow.events))
    ).all()
    by_department: dict[str, Counter[str]] = {}
    for r in open_rows:
        department = items[r.item_id].department if r.item_id in items else r.item_id
        level = supervision.deadline_of(r, today, office.yellow_share).level
        by_department.setdefault(department, Counter())[level or "normal"] += 1
    on_time, concluded = supervision.on_time_rate(db, today, office.yellow_share)
    return {
        "by_department": sorted(by_department.items()),
        "red": sum(c["red"] for c in by_department.values()),
        "yellow": sum(c["yellow"] for c in by_department.values()),
        "on_time": on_time,
        "concluded": concluded,
        "sms": sms.counts(db),
        "sms_real": office.sends_for_real,
        "upstream": office.upstream_backlog(),
        "upstream_limit_h": office.upstream_max_age.total_seconds() / 3600,
        "now": office.clock.now(),
    }


@router.get("/supervision")
def supervision_page(request: Request, user: Viewer, db: Db) -> HTMLResponse:
    return render(
        request,
        "supervision.html",
        user,
        summary=supervision_summary(request, db),
        SMS_LABELS=sms.STATUS_LABELS,
    )


def install_globals(templates: Jinja2Templates) -> None:
    """Let the overview page show the warnings (``overview_supervision(request)``)."""

    def overview_supervision(request: Request) -> dict[str, Any]:
        factory: sessionmaker[Session] = request.app.state.sessionmaker
        with factory() as session:
            return supervision_summary(request, session)

    templates.env.globals["overview_supervision"] = overview_supervision

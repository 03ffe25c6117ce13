"""The application state machine: what staff may do to an application, and when.

States are :class:`AppStatus` (the values stored in ``svc_applications.status``;
``accepted`` is what the terminal's submission starts in). Every staff action
is an :class:`Action` with one row in :data:`TRANSITIONS`: the states it may
start from, the state it leads to, and what it needs (a reason, a waybill
number). Anything else is refused with :class:`Refused`, a sentence saying
what the status allows.

Time limits: 补正 stops the clock until the material arrives (``resume``); see
:mod:`hub.backoffice.supervision`, which reads the stops from the events.

Each transition writes an application event (the applicant-facing note the
kiosk's progress query shows, the action and the staff account) and queues
the progress SMS in the same transaction (:mod:`hub.backoffice.sms`). The
caller audits the action (the console does, with who, when and from where).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.backoffice import sms
from hub.services.catalogue import CatalogueItem
from hub.services.catalogue_store import get_item
from hub.services.clock import db_time
from hub.services.contact import phone_of
from hub.services.errors import BadRequest, Conflict, NotFound
from hub.services.models import ApplicationEventRow, ApplicationRow
from protocol.i18n import N_


class AppStatus(StrEnum):
    ACCEPTED = "accepted"  # 已受理: submitted at a terminal or a window, waiting for the department
    REVIEWING = "reviewing"  # 审核中: the department took it (受理)
    CORRECTION = "correction"  # 待补正: waiting for material; the clock is stopped
    APPROVED = "approved"  # 审核通过: waiting for the decision (办结)
    DONE = "done"  # 已办结（准予）: result ready (counter) or about to be posted
    REJECTED = "rejected"  # 不予办理 (办结·不予)
    RETURNED = "returned"  # 已退回: not taken on; the applicant may apply again
    MAILED = "mailed"  # 已寄出: the result travels by 邮政专递


STATUS_LABELS: dict[str, str] = {
    AppStatus.ACCEPTED: N_("已受理"),
    AppStatus.REVIEWING: N_("审核中"),
    AppStatus.CORRECTION: N_("待补正"),
    AppStatus.APPROVED: N_("审核通过"),
    AppStatus.DONE: N_("已办结"),
    AppStatus.REJECTED: N_("不予办理"),
    AppStatus.RETURNED: N_("已退回"),
    AppStatus.MAILED: N_("已寄出"),
}
# Statuses where the work is finished: no time limit runs, no warning shows.
CLOSED = frozenset({AppStatus.DONE, AppStatus.REJECTED, AppStatus.RETURNED, AppStatus.MAILED})
# 办结 for the statistics (按时办结率): decided either way.
CONCLUDED = frozenset({AppStatus.DONE, AppStatus.REJECTED, AppStatus.MAILED})


class Action(StrEnum):
    ACCEPT = "accept"  # 受理
    CORRECT = "correct"  # 补正 (what to bring)
    RESUME = "resume"  # 补正材料已收到
    APPROVE = "approve"  # 审核通过
    GRANT = "grant"  # 办结·准予
    REFUSE = "refuse"  # 办结·不予 (why)
    RETURN = "return"  # 退回 (why)
    SHIP = "ship"  # 寄出 (waybill number)


@dataclass(frozen=True)
class Step:
    """One row of the transition table."""

    label: str
    sources: frozenset[AppStatus]
    target: AppStatus
    needs_reason: bool = False
    needs_waybill: bool = False


_OPEN = frozenset({AppStatus.ACCEPTED, AppStatus.REVIEWING})
TRANSITIONS: dict[Action, Step] = {
    Action.ACCEPT: Step(N_("受理"), frozenset({AppStatus.ACCEPTED}), AppStatus.REVIEWING),
    Action.CORRECT: Step(N_("补正"), _OPEN, AppStatus.CORRECTION, needs_reason=True),
    Action.RESUME: Step(
        N_("补正材料已收到"), frozenset({AppStatus.CORRECTION}), AppStatus.REVIEWING
    ),
    Action.APPROVE: Step(N_("审核通过"), frozenset({AppStatus.REVIEWING}), AppStatus.APPROVED),
    Action.GRANT: Step(N_("办结（准予）"), frozenset({AppStatus.APPROVED}), AppStatus.DONE),
    Action.REFUSE: Step(
        N_("办结（不予）"),
        frozenset({AppStatus.REVIEWING, AppStatus.APPROVED}),
        AppStatus.REJECTED,
        needs_reason=True,
    ),
    Action.RETURN: Step(
        N_("退回"), _OPEN | {AppStatus.CORRECTION}, AppStatus.RETURNED, needs_reason=True
    ),
    Action.SHIP: Step(
        N_("邮寄送达"), frozenset({AppStatus.DONE}), AppStatus.MAILED, needs_waybill=True
    ),
}


class Refused(Conflict):
    """The action is unknown or the application's status does not allow it."""


@dataclass(frozen=True)
class Transition:
    """What :func:`perform` did: for the audit entry and the console's notice."""

    acceptance_no: str
    action: Action
    source: AppStatus
    target: AppStatus
    note: str


def actions_from(status: str, delivery_method: str) -> list[Action]:
    """The actions the table allows from ``status`` (for the workbench's buttons)."""
    return [
        action
        for action, step in TRANSITIONS.items()
        if status in step.sources and (action is not Action.SHIP or delivery_method == "post")
    ]


def find(session: Session, acceptance_no: str) -> ApplicationRow:
    """The application with this 受理编号; :class:`NotFound` otherwise."""
    row = session.scalars(
        select(ApplicationRow).where(ApplicationRow.acceptance_no == acceptance_no)
    ).first()
    if row is None:
        raise NotFound(N_("未找到该受理编号的办件"))
    return row


def parse_action(raw: str) -> Action:
    """The :class:`Action` named ``raw``; :class:`Refused` for an unknown one."""
    try:
        return Action(raw)
    except ValueError:
        raise Refused(f"未知的办理操作：{raw[:24]}") from None


def perform(
    session: Session,
    row: ApplicationRow,
    action: Action,
    *,
    actor: str,
    now: datetime,
    reason: str = "",
    waybill: str = "",
) -> Transition:
    """Apply ``action`` to ``row`` in the caller's transaction.

    Raises :class:`Refused` when the status does not allow the action (or a
    counter-delivered result is to be posted), :class:`BadRequest` when the
    reason or waybill number it needs is missing.
    """
    step = TRANSITIONS[action]
    source = AppStatus(row.status)
    if source not in step.sources:
        allowed = "、".join(TRANSITIONS[a].label for a in actions_from(source, row.delivery_method))
        raise Refused(
            f"办件当前状态为“{STATUS_LABELS[source]}”，不能{step.label}"
            + (f"；可执行：{allowed}" if allowed else "；该办件已办理完毕")
        )
    if action is Action.SHIP and row.delivery_method != "post":
        raise Refused(N_("该办件选择窗口领取，不能邮寄送达"))
    reason = " ".join(reason.split())[:200]
    waybill = waybill.strip().upper()
    if step.needs_reason and not reason:
        raise BadRequest(f"{step.label}需要填写原因或所需材料")
    if step.needs_waybill and not (6 <= len(waybill) <= 40 and waybill.isalnum()):
        raise BadRequest(N_("请填写正确的邮件运单号（6–40位字母或数字）"))
    item = get_item(session, row.item_id)
    note = applicant_note(action, row, item, reason, waybill)
    row.status = step.target
    row.updated_at = db_time(now)
    if action is Action.SHIP:
        row.waybill_no = waybill
    event = ApplicationEventRow(
        application_id=row.id,
        status=step.target,
        note=note,
        at=db_time(now),
        action=action,
        actor=actor[:60],
    )
    session.add(event)
    session.flush()
    text = f"【兰考政务服务】您申请的“{row.item_name}”（受理编号{row.acceptance_no}）{note}"
    sms.enqueue(session, f"application-event:{event.id}", phone_of(session, row), text, now)
    return Transition(row.acceptance_no, action, source, step.target, note)


def _counter(item: CatalogueItem | None) -> str:
    """Where a result is collected or material brought: the item's first
    staffed place (not a self-service terminal), else its department."""
    if item is None:
        return N_("受理窗口")
    for place in item.where:
        if "自助终端" not in place.name:
            return place.name
    return item.department


def applicant_note(
    action: Action, row: ApplicationRow, item: CatalogueItem | None, reason: str, waybill: str
) -> str:
    """The sentence the applicant reads (progress query history and SMS): what
    happened and what to do next. No personal data."""
    counter = _counter(item)
    department = item.department if item else N_("受理部门")
    if action is Action.ACCEPT:
        return f"已由{department}受理，正在审核。"
    if action is Action.CORRECT:
        return f"需要补正：{reason}。请携带相关材料到{counter}补正，补正期间办理时限暂停计算。"
    if action is Action.RESUME:
        return "补正材料已收到，继续审核，办理时限恢复计算。"
    if action is Action.APPROVE:
        return "已审核通过，等待办结。"
    if action is Action.GRANT:
        if row.delivery_method == "post":
            return "已办结（准予），结果将通过邮政专递寄出。"
        return f"已办结（准予），请携带身份证到{counter}领取结果。"
    if action is Action.REFUSE:
        return f"已办结（不予办理），原因：{reason}。如有疑问请咨询{department}。"
    if action is Action.RETURN:
        return f"已退回，原因：{reason}。可补齐后重新申请。"
    return f"已通过邮政专递寄出，运单号{waybill}。"

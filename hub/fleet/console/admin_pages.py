"""Admin pages: enrolment codes, terminal revocation, operator accounts and
the audit log (admin only; a viewer or operator gets 403)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub.fleet import audit
from hub.fleet.clock import utcnow
from hub.fleet.console.security import (
    ROLE_RANK,
    Admin,
    Db,
    RowId,
    client_of,
    close_sessions_of,
    hash_password,
    password_problem,
)
from hub.fleet.console.views import render, see_other
from hub.fleet.models import AuditEntry, EnrolmentCode, Operator, Terminal

router = APIRouter(tags=["console"], include_in_schema=False)

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


def new_enrolment_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


@router.get("/enrolment")
def enrolment_page(request: Request, user: Admin, db: Db) -> HTMLResponse:
    codes = (
        db.execute(select(EnrolmentCode).order_by(EnrolmentCode.created_at.desc()).limit(100))
        .scalars()
        .all()
    )
    return render(request, "enrolment.html", user, codes=codes, now=utcnow())


@router.post("/enrolment")
def create_enrolment_code(
    request: Request,
    user: Admin,
    db: Db,
    hours: Annotated[int, Form(ge=1, le=24 * 30)] = 72,
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    code = new_enrolment_code()
    now = utcnow()
    db.add(
        EnrolmentCode(
            code=code,
            created_by=user.username,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
            note=note.strip(),
        )
    )
    audit.record(
        db.connection(),
        user.username,
        "enrolment_code",
        code,
        f"{hours} 小时有效 {note}",
        "ok",
        client_of(request),
    )
    return see_other(db, f"/console/enrolment?msg=已生成注册码 {code}")


@router.post("/terminals/{terminal_id}/revoke")
def revoke_terminal(request: Request, terminal_id: RowId, user: Admin, db: Db) -> Response:
    terminal = db.get(Terminal, terminal_id)
    if terminal is None:
        raise HTTPException(404, detail="终端不存在")
    if terminal.revoked_at is None:
        terminal.revoked_at = utcnow()
    audit.record(
        db.connection(),
        user.username,
        "terminal_revoke",
        f"terminal:{terminal_id}",
        terminal.name,
        "ok",
        client_of(request),
    )
    db.commit()
    request.app.state.fleet.tokens.invalidate_terminal(terminal_id)
    return see_other(db, f"/console/terminals/{terminal_id}?msg=终端已注销")


@router.get("/operators")
def operators_page(request: Request, user: Admin, db: Db) -> HTMLResponse:
    operators = db.execute(select(Operator).order_by(Operator.username)).scalars().all()
    return render(request, "operators.html", user, operators=operators, now=utcnow())


@router.post("/operators")
def create_operator(
    request: Request,
    user: Admin,
    db: Db,
    username: Annotated[str, Form(min_length=2, max_length=60, pattern=r"^[A-Za-z0-9_.-]+$")],
    password: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=12)],
    display_name: Annotated[str, Form(max_length=60)] = "",
) -> Response:
    problem = password_problem(password) or (None if role in ROLE_RANK else "角色无效")
    if problem:
        audit.record(
            db.connection(),
            user.username,
            "operator_create",
            username,
            problem,
            "failed",
            client_of(request),
        )
        db.commit()
        return see_other(db, f"/console/operators?err={problem}")
    try:
        with db.begin_nested():
            db.add(
                Operator(
                    username=username,
                    display_name=display_name.strip(),
                    role=role,
                    password_hash=hash_password(password),
                    created_at=utcnow(),
                )
            )
    except IntegrityError:
        audit.record(
            db.connection(),
            user.username,
            "operator_create",
            username,
            "用户名已存在",
            "failed",
            client_of(request),
        )
        db.commit()
        return see_other(db, "/console/operators?err=用户名已存在")
    audit.record(
        db.connection(),
        user.username,
        "operator_create",
        username,
        f"角色 {role}",
        "ok",
        client_of(request),
    )
    return see_other(db, f"/console/operators?msg=已创建账号 {username}")


@router.post("/operators/{operator_id}")
def update_operator(
    request: Request,
    operator_id: RowId,
    user: Admin,
    db: Db,
    role: Annotated[str, Form(max_length=12)] = "",
    disabled: Annotated[str, Form(max_length=5)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    unlock: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    operator = db.get(Operator, operator_id)
    if operator is None:
        raise HTTPException(404, detail="账号不存在")
    changes, problem = _apply_operator_form(
        operator, user.operator_id, role=role, disabled=disabled, password=password, unlock=unlock
    )
    if problem:
        db.rollback()
        audit.record(
            db.connection(),
            user.username,
            "operator_update",
            operator.username,
            problem,
            "failed",
            client_of(request),
        )
        db.commit()
        return see_other(db, f"/console/operators?err={problem}")
    if operator.disabled or "重置密码" in changes or any(c.startswith("角色") for c in changes):
        close_sessions_of(db, operator.id)
    audit.record(
        db.connection(),
        user.username,
        "operator_update",
        operator.username,
        "，".join(changes) or "无变化",
        "ok",
        client_of(request),
    )
    return see_other(db, "/console/operators?msg=已保存")


def _apply_operator_form(
    operator: Operator, own_id: int, *, role: str, disabled: str, password: str, unlock: str
) -> tuple[list[str], str | None]:
    """Apply the edit form to ``operator`` (in the session, not yet committed);
    (what changed, for the audit log; the problem that refuses the edit, if any).
    An admin cannot change their own role or disable themselves."""
    changes: list[str] = []
    problem = None
    if role and role != operator.role:
        if role not in ROLE_RANK:
            problem = "角色无效"
        elif operator.id == own_id:
            problem = "不能修改自己的角色"
        else:
            changes.append(f"角色 {operator.role}→{role}")
            operator.role = role
    want_disabled = disabled == "1"
    if disabled and want_disabled != operator.disabled:
        if operator.id == own_id:
            problem = "不能停用自己的账号"
        else:
            operator.disabled = want_disabled
            changes.append("停用" if want_disabled else "启用")
    if password:
        problem = problem or password_problem(password)
        if not password_problem(password):
            operator.password_hash = hash_password(password)
            changes.append("重置密码")
    if unlock == "1":
        operator.locked_until = None
        operator.failed_logins = 0
        changes.append("解锁")
    return changes, problem


@router.get("/audit")
def audit_page(
    request: Request,
    user: Admin,
    db: Db,
    actor: Annotated[str, Query(max_length=60)] = "",
    action: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(300)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    entries = db.execute(query).scalars().all()
    return render(request, "audit.html", user, entries=entries, f_actor=actor, f_action=action)

"""Administration pages, one role each (三权分立, see ``roles``):

- enrolment codes and terminal revocation: the system administrator;
- operator accounts (create, role, disable, password and TOTP resets,
  unlock): the security administrator;
- the audit log and its CSV export: the auditor (read only: no route
  changes or deletes an entry).

Any other role gets 403, audited."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from hub.fleet import audit
from hub.fleet.clock import utcnow
from hub.fleet.console import throttle
from hub.fleet.console.roles import ROLES
from hub.fleet.console.security import (
    Auditor,
    Db,
    RowId,
    SecurityAdmin,
    SystemAdmin,
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
def enrolment_page(request: Request, user: SystemAdmin, db: Db) -> HTMLResponse:
    codes = (
        db.execute(select(EnrolmentCode).order_by(EnrolmentCode.created_at.desc()).limit(100))
        .scalars()
        .all()
    )
    return render(request, "enrolment.html", user, codes=codes, now=utcnow())


@router.post("/enrolment")
def create_enrolment_code(
    request: Request,
    user: SystemAdmin,
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
def revoke_terminal(request: Request, terminal_id: RowId, user: SystemAdmin, db: Db) -> Response:
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
def operators_page(request: Request, user: SecurityAdmin, db: Db) -> HTMLResponse:
    operators = db.execute(select(Operator).order_by(Operator.username)).scalars().all()
    delayed = {o.id: throttle.delayed_until(db, o.username) for o in operators}
    return render(
        request, "operators.html", user, operators=operators, delayed=delayed, now=utcnow()
    )


def _bootstrap_values(request: Request) -> tuple[str, ...]:
    value = request.app.state.settings.bootstrap_password
    return (value,) if value else ()


@router.post("/operators")
def create_operator(
    request: Request,
    user: SecurityAdmin,
    db: Db,
    username: Annotated[str, Form(min_length=2, max_length=60, pattern=r"^[A-Za-z0-9_.-]+$")],
    password: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=20)],
    display_name: Annotated[str, Form(max_length=60)] = "",
) -> Response:
    problem = password_problem(password, username, _bootstrap_values(request)) or (
        None if role in ROLES else "角色无效"
    )
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
                    # The security administrator knows this password: the owner
                    # replaces it at the first login.
                    must_change_password=True,
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
    return see_other(db, f"/console/operators?msg=已创建账号 {username}（首次登录须设置新密码）")


@router.post("/operators/{operator_id}")
def update_operator(
    request: Request,
    operator_id: RowId,
    user: SecurityAdmin,
    db: Db,
    role: Annotated[str, Form(max_length=20)] = "",
    disabled: Annotated[str, Form(max_length=5)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    unlock: Annotated[str, Form(max_length=5)] = "",
    reset_totp: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    operator = db.get(Operator, operator_id)
    if operator is None:
        raise HTTPException(404, detail="账号不存在")
    changes, problem = _apply_operator_form(
        operator,
        user.operator_id,
        role=role,
        disabled=disabled,
        password=password,
        bootstrap=_bootstrap_values(request),
        reset_totp=reset_totp == "1",
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
    if unlock == "1":
        throttle.clear_account(db, operator.username)
        changes.append("解除登录限制")
    if operator.disabled or any(c.startswith(("角色", "重置")) for c in changes):
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
    operator: Operator,
    own_id: int,
    *,
    role: str,
    disabled: str,
    password: str,
    bootstrap: tuple[str, ...],
    reset_totp: bool,
) -> tuple[list[str], str | None]:
    """Apply the edit form to ``operator`` (in the session, not yet committed);
    (what changed, for the audit log; the problem that refuses the edit, if any).
    Nobody changes their own role or disables themselves."""
    changes: list[str] = []
    problem = None
    if role and role != operator.role:
        if role not in ROLES:
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
        weak = password_problem(password, operator.username, bootstrap)
        problem = problem or weak
        if not weak:
            operator.password_hash = hash_password(password)
            # A password someone else chose: the owner replaces it at the next login.
            operator.must_change_password = True
            changes.append("重置密码")
    if reset_totp and operator.totp_secret is not None:
        operator.totp_secret = None
        operator.totp_last_step = None
        changes.append("重置动态口令")
    return changes, problem


@router.get("/audit")
def audit_page(
    request: Request,
    user: Auditor,
    db: Db,
    actor: Annotated[str, Query(max_length=60)] = "",
    action: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    entries = db.execute(_audit_query(actor, action).limit(300)).scalars().all()
    return render(request, "audit.html", user, entries=entries, f_actor=actor, f_action=action)


def _audit_query(actor: str, action: str) -> Select[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    return query


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run: text starting like a formula
    gets a leading apostrophe (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


@router.get("/audit.csv")
def audit_export(
    request: Request,
    user: Auditor,
    db: Db,
    actor: Annotated[str, Query(max_length=60)] = "",
    action: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """The audit log (filtered like the page, every entry) as CSV; the export is audited."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "时间 (UTC)", "操作人", "操作", "对象", "详情", "结果", "来源"])
    for e in db.execute(_audit_query(actor, action)).scalars():
        writer.writerow(
            [
                _cell(v)
                for v in (e.id, e.at, e.actor, e.action, e.target, e.detail, e.result, e.client)
            ]
        )
    audit.record(
        db.connection(),
        user.username,
        "audit_export",
        "",
        f"操作人={actor} 操作={action}",
        "ok",
        client_of(request),
    )
    db.commit()
    return Response(
        "\ufeff" + buffer.getvalue(),  # BOM: Excel reads the Chinese as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="audit.csv"',
            "Cache-Control": "no-store",
        },
    )

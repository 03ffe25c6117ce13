"""Console security: argon2 passwords, lockout, signed session cookies with
an idle timeout, CSRF tokens and role checks.

- Passwords: argon2id (argon2-cffi). 5 failed logins lock the account for
  15 minutes; an unknown user costs the same hash time as a known one.
- Sessions live in ``fleet_operator_sessions`` under the digest of their
  secret (hub.crypto.session_digest): the cookie carries the secret signed
  with ``settings.secret_key``, the database only its digest (HttpOnly, SameSite=Strict,
  Secure over HTTPS). A session idle longer than
  ``settings.session_idle_minutes`` is deleted.
- Every POST carries the session's CSRF token (form field ``csrf_token`` or
  header ``X-CSRF-Token``); the login form uses a double-submit cookie.
- Roles: viewer < operator < admin (:data:`ROLE_RANK`).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Path, Request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from hub.crypto import session_digest
from hub.deps import get_db
from hub.fleet import audit
from hub.fleet.clock import utcnow
from hub.fleet.models import Operator, OperatorSession

ROLES = ("viewer", "operator", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
ROLE_LABELS = {"viewer": "只读", "operator": "运维", "admin": "管理员"}

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_COOKIE = "huimin_console"
LOGIN_CSRF_COOKIE = "huimin_login_csrf"
_TOUCH_EVERY = timedelta(seconds=20)  # limit last_seen writes to one per 20 s per session

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why ``password`` is unacceptable for an operator account, or None."""
    if len(password) < 10:
        return "密码至少 10 位"
    if len(password) > 200:
        return "密码过长"
    return None


def client_of(request: Request) -> str:
    return request.client.host if request.client else ""


@dataclass(frozen=True)
class ConsoleUser:
    """The logged-in operator of a console request."""

    operator_id: int
    username: str
    display_name: str
    role: str
    csrf_token: str
    session_id: str

    def can(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


class LoginRequired(Exception):
    """No valid console session; the console answers with a redirect or 401."""


def _serializer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(request.app.state.settings.secret_key, salt="huimin-console")


def sign_session(request: Request, session_id: str) -> str:
    return _serializer(request).dumps(session_id)


def attempt_login(
    db: Session, username: str, password: str, client: str
) -> tuple[Operator | None, str]:
    """Check credentials with lockout; (operator, "") or (None, Chinese reason).
    Audits the attempt in ``db``'s transaction."""
    now = utcnow()
    operator = db.execute(
        select(Operator).where(Operator.username == username)
    ).scalar_one_or_none()
    if operator is None:
        verify_password(_DUMMY_HASH, password)
        audit.record(
            db.connection(), username or "?", "login_failed", "", "无此账号", "failed", client
        )
        return None, "用户名或密码错误"
    if operator.disabled:
        audit.record(db.connection(), username, "login_failed", "", "账号已停用", "failed", client)
        return None, "账号已停用"
    if operator.locked_until is not None and operator.locked_until > now:
        audit.record(db.connection(), username, "login_failed", "", "账号锁定中", "failed", client)
        return None, "登录失败次数过多，账号已锁定 15 分钟"
    if not verify_password(operator.password_hash, password):
        operator.failed_logins += 1
        detail = f"密码错误（第 {operator.failed_logins} 次）"
        if operator.failed_logins >= MAX_FAILED_LOGINS:
            operator.locked_until = now + LOCKOUT
            operator.failed_logins = 0
            detail += "，账号锁定 15 分钟"
        audit.record(db.connection(), username, "login_failed", "", detail, "failed", client)
        if operator.locked_until is not None and operator.locked_until > now:
            return None, "登录失败次数过多，账号已锁定 15 分钟"
        return None, "用户名或密码错误"
    operator.failed_logins = 0
    operator.locked_until = None
    operator.last_login_at = now
    audit.record(db.connection(), username, "login", "", "", "ok", client)
    return operator, ""


def open_session(request: Request, db: Session, operator: Operator) -> str:
    """Start a session; the secret for the cookie (the database keeps its digest)."""
    now = utcnow()
    secret = secrets.token_urlsafe(32)
    db.add(
        OperatorSession(
            id=session_digest(request.app.state.settings, secret),
            operator_id=operator.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
        )
    )
    return secret


def close_sessions_of(db: Session, operator_id: int) -> None:
    """End every session of an operator (disabled account, new password)."""
    db.execute(delete(OperatorSession).where(OperatorSession.operator_id == operator_id))


def load_user(request: Request, db: Session) -> ConsoleUser | None:
    """The operator of this request's session cookie, or None (missing,
    forged, idle-expired, or the account was disabled)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        session_id = session_digest(
            request.app.state.settings, str(_serializer(request).loads(cookie))
        )
    except (BadSignature, UnicodeEncodeError):
        return None
    row = db.execute(
        select(OperatorSession, Operator)
        .join(Operator, Operator.id == OperatorSession.operator_id)
        .where(OperatorSession.id == session_id)
    ).first()
    if row is None:
        return None
    sess, operator = row
    now = utcnow()
    idle = timedelta(minutes=request.app.state.settings.session_idle_minutes)
    if now - sess.last_seen_at > idle or operator.disabled:
        db.execute(delete(OperatorSession).where(OperatorSession.id == session_id))
        audit.record(
            db.connection(), operator.username, "session_expired", "", "", "ok", client_of(request)
        )
        db.commit()
        return None
    if now - sess.last_seen_at > _TOUCH_EVERY:
        db.execute(
            update(OperatorSession).where(OperatorSession.id == session_id).values(last_seen_at=now)
        )
    return ConsoleUser(
        operator.id,
        operator.username,
        operator.display_name or operator.username,
        operator.role,
        sess.csrf_token,
        sess.id,
    )


async def submitted_csrf(request: Request) -> str:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else ""
    return ""


class Require:
    """Dependency: a console user with at least ``role``; POSTs must carry
    the session's CSRF token. Anonymous → :class:`LoginRequired`; lower role
    or bad CSRF token → 403 (audited)."""

    def __init__(self, role: str) -> None:
        if role not in ROLE_RANK:
            raise ValueError(role)
        self.role = role

    async def __call__(
        self, request: Request, db: Annotated[Session, Depends(get_db)]
    ) -> ConsoleUser:
        user = load_user(request, db)
        if user is None:
            raise LoginRequired
        if not user.can(self.role):
            audit.record(
                db.connection(),
                user.username,
                "denied",
                f"{request.method} {request.url.path}",
                f"需要角色 {self.role}",
                "denied",
                client_of(request),
            )
            db.commit()
            raise HTTPException(403, detail="权限不足")
        if request.method == "POST":
            token = await submitted_csrf(request)
            if not token or not hmac.compare_digest(token, user.csrf_token):
                raise HTTPException(403, detail="CSRF 校验失败，请刷新页面后重试")
        return user


require_viewer = Require("viewer")
require_operator = Require("operator")
require_admin = Require("admin")

Viewer = Annotated[ConsoleUser, Depends(require_viewer)]
OperatorUser = Annotated[ConsoleUser, Depends(require_operator)]
Admin = Annotated[ConsoleUser, Depends(require_admin)]
Db = Annotated[Session, Depends(get_db)]
# A row id in a URL: bounded so a huge number is a 422, not a database overflow.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]

"""Console security: signed session cookies with an idle timeout, CSRF
tokens and permission checks.

- Passwords, the policy and hashing: :mod:`hub.fleet.console.passwords`;
  throttling of failed logins: :mod:`hub.fleet.console.throttle`; the login
  steps (password, forced change, TOTP): :mod:`hub.fleet.console.login`.
- Sessions live in ``fleet_operator_sessions`` under the digest of their
  secret (:func:`hub.crypto.session_digest`): the cookie carries the secret
  signed with ``settings.secret_key``, the database only its digest, so a
  copy of the database opens no session (HttpOnly, SameSite=Strict,
  Secure over HTTPS). A session idle longer than
  ``settings.session_idle_minutes`` is deleted. A session exists only once
  every login step is done.
- Every POST carries the session's CSRF token (form field ``csrf_token`` or
  header ``X-CSRF-Token``); the login forms use a double-submit cookie.
- Roles and permissions (三权分立): :mod:`hub.fleet.console.roles`. A
  refusal (wrong role, bad CSRF token) is a 403 and is audited.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from hub.crypto import session_digest
from hub.deps import get_db
from hub.fleet import audit
from hub.fleet.clock import utcnow
from hub.fleet.console import roles
from hub.fleet.console.passwords import hash_password, password_problem, verify_password
from hub.fleet.console.roles import ROLE_LABELS, ROLES
from hub.fleet.models import Operator, OperatorSession

__all__ = [
    "ROLES",
    "ROLE_LABELS",
    "hash_password",
    "password_problem",
    "verify_password",
]

SESSION_COOKIE = "huimin_console"
LOGIN_CSRF_COOKIE = "huimin_login_csrf"
_TOUCH_EVERY = timedelta(seconds=20)  # limit last_seen writes to one per 20 s per session


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

    def can(self, permission: str) -> bool:
        """Whether this operator's role holds ``permission`` (see roles.PERMISSIONS)."""
        return roles.allowed(self.role, permission)

    @property
    def home(self) -> str:
        return roles.landing_page(self.role)


class LoginRequired(Exception):
    """No valid console session; the console answers with a redirect or 401."""


def _serializer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(request.app.state.settings.secret_key, salt="huimin-console")


def sign_session(request: Request, session_id: str) -> str:
    return _serializer(request).dumps(session_id)


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


def refuse(
    db: Session, request: Request, user: ConsoleUser, detail: str, reply: str = "权限不足"
) -> HTTPException:
    """Audit a refused console operation (in its own commit) and build its 403."""
    audit.record(
        db.connection(),
        user.username,
        "denied",
        f"{request.method} {request.url.path}"[:120],
        detail,
        "denied",
        client_of(request),
    )
    db.commit()
    return HTTPException(403, detail=reply)


class Require:
    """Dependency: a console user whose role holds ``permission``; POSTs must
    carry the session's CSRF token. Anonymous → :class:`LoginRequired`; a role
    without the permission or a bad CSRF token → 403, audited."""

    def __init__(self, permission: str) -> None:
        if permission not in roles.ALL_PERMISSIONS:
            raise ValueError(permission)
        self.permission = permission

    async def __call__(
        self, request: Request, db: Annotated[Session, Depends(get_db)]
    ) -> ConsoleUser:
        user = load_user(request, db)
        if user is None:
            raise LoginRequired
        if not user.can(self.permission):
            raise refuse(db, request, user, f"需要权限 {self.permission}")
        if request.method == "POST":
            token = await submitted_csrf(request)
            if not token or not hmac.compare_digest(token, user.csrf_token):
                message = "CSRF 校验失败，请刷新页面后重试"
                raise refuse(db, request, user, "CSRF 校验失败", message)
        return user


require_logged_in = Require(roles.LOGGED_IN)
require_viewer = Require(roles.VIEW)
require_operator = Require(roles.OPERATE)
require_system_admin = Require(roles.ADMINISTER)
require_security_admin = Require(roles.ACCOUNTS)
require_auditor = Require(roles.AUDIT)

LoggedIn = Annotated[ConsoleUser, Depends(require_logged_in)]
Viewer = Annotated[ConsoleUser, Depends(require_viewer)]
OperatorUser = Annotated[ConsoleUser, Depends(require_operator)]
SystemAdmin = Annotated[ConsoleUser, Depends(require_system_admin)]
SecurityAdmin = Annotated[ConsoleUser, Depends(require_security_admin)]
Auditor = Annotated[ConsoleUser, Depends(require_auditor)]
Db = Annotated[Session, Depends(get_db)]
# A row id in a URL: bounded so a huge number is a 422, not a database overflow.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]

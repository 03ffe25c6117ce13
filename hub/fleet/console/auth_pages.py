"""Login (name and password, forced password change, TOTP enrolment and
code), logout and one's own password. The steps' rules are in
:mod:`hub.fleet.console.login`."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import delete
from sqlalchemy.orm import Session

from hub.crypto import cipher_of
from hub.fleet import audit
from hub.fleet.console import login as steps
from hub.fleet.console import totp
from hub.fleet.console.passwords import hash_password, password_problem, verify_password
from hub.fleet.console.roles import landing_page
from hub.fleet.console.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Db,
    LoggedIn,
    client_of,
    close_sessions_of,
    load_user,
    open_session,
    sign_session,
)
from hub.fleet.console.views import render
from hub.fleet.models import Operator, OperatorSession
from hub.settings import HubSettings

router = APIRouter(tags=["console"], include_in_schema=False)

_COOKIE_PATH = "/console"
_EXPIRED = "登录已过期，请重新登录"
Code = Annotated[str, Form(max_length=12)]
Csrf = Annotated[str, Form(max_length=100)]


def _set_cookie(
    request: Request, response: Response, name: str, value: str, max_age: int | None = None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=_COOKIE_PATH,
    )


def _settings(request: Request) -> HubSettings:
    settings: HubSettings = request.app.state.settings
    return settings


def _login_csrf(request: Request) -> tuple[str, bool]:
    """The login forms' double-submit token: (token, whether it is new)."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return (cookie, False) if cookie else (secrets.token_urlsafe(24), True)


def _csrf_ok(request: Request, submitted: str) -> bool:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie, submitted)


def _page(request: Request, name: str, status_code: int = 200, **context: object) -> Response:
    token, new = _login_csrf(request)
    response: Response = render(
        request,
        name,
        None,
        status_code=status_code,
        login_csrf=token,
        demo=_settings(request).demo_data,
        **context,
    )
    if new:
        _set_cookie(request, response, LOGIN_CSRF_COOKIE, token)
    return response


def _to_login(error: str = _EXPIRED) -> Response:
    response = RedirectResponse(f"/console/login?err={error}", status_code=303)
    response.delete_cookie(steps.STEP_COOKIE, path=_COOKIE_PATH)
    return response


def _refused_step(
    request: Request, db: Session, operator: Operator | None, detail: str
) -> Response:
    """A login step's form refused (no valid step cookie, or a bad CSRF token):
    audited like the other login failures, then back to the login page."""
    actor = operator.username if operator is not None else "?"
    audit.record(db.connection(), actor, "login_failed", "", detail, "failed", client_of(request))
    db.commit()
    return _to_login()


def _go_on(request: Request, db: Session, operator: Operator, totp_done: bool = False) -> Response:
    """After a passed step: the next one, or the open session."""
    settings = _settings(request)
    step = steps.next_step(operator, settings, totp_done)
    if step is None:
        steps.finish(db, operator, client_of(request))
        # The cookie carries the session's secret; the database keeps only its digest.
        secret = open_session(request, db, operator)
        db.commit()  # before the redirect: the next request must find the session
        response = RedirectResponse(landing_page(operator.role), status_code=303)
        _set_cookie(request, response, SESSION_COOKIE, sign_session(request, secret))
        _set_cookie(
            request,
            response,
            steps.DEVICE_COOKIE,
            steps.device_cookie(settings, operator.username),
            max_age=steps.DEVICE_MAX_AGE_S,
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE, path=_COOKIE_PATH)
        response.delete_cookie(steps.STEP_COOKIE, path=_COOKIE_PATH)
        return response
    db.commit()
    page = {steps.CHANGE: "password", steps.ENROL: "totp-enrol", steps.TOTP: "totp"}[step]
    response = RedirectResponse(f"/console/login/{page}", status_code=303)
    cookie = steps.step_cookie(settings, operator, step, totp_done=totp_done)
    _set_cookie(request, response, steps.STEP_COOKIE, cookie)
    return response


def _device(request: Request, username: str) -> bool:
    return steps.known_device(
        _settings(request), request.cookies.get(steps.DEVICE_COOKIE), username
    )


# --- step 1: name and password ------------------------------------------------


@router.get("/login")
def login_form(request: Request, db: Db) -> Response:
    user = load_user(request, db)
    if user is not None:
        return RedirectResponse(user.home, status_code=303)
    return _page(request, "login.html")


@router.post("/login")
def login(
    request: Request,
    db: Db,
    username: Annotated[str, Form(max_length=60)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Csrf = "",
) -> Response:
    username = username.strip()
    if not _csrf_ok(request, csrf_token):
        # A refused operation like any 403: audited (a forged cross-site login, or
        # a form left open too long).
        audit.record(
            db.connection(),
            username or "?",
            "login_failed",
            "",
            "CSRF 校验失败",
            "denied",
            client_of(request),
        )
        db.commit()
        return _page(request, "login.html", status_code=403, error="页面已过期，请重新登录")
    operator = steps.check_password(
        db, username, password, client_of(request), _device(request, username)
    )
    if operator is None:
        db.commit()  # keep the throttle count and the audit entry
        return _page(request, "login.html", status_code=401, error=steps.FAILURE)
    return _go_on(request, db, operator)


# --- step 2: a new password -----------------------------------------------------


def _step(request: Request, db: Session, step: str) -> tuple[Operator | None, bool]:
    """The account of a valid step cookie for ``step``, and whether its
    second factor was already given in this login."""
    token = steps.read_step(_settings(request), request.cookies.get(steps.STEP_COOKIE))
    operator = steps.operator_for_step(db, token, step)
    return operator, token is not None and token.totp_done


def _step_operator(request: Request, db: Session, step: str) -> Operator | None:
    return _step(request, db, step)[0]


@router.get("/login/password")
def change_password_form(request: Request, db: Db) -> Response:
    operator = _step_operator(request, db, steps.CHANGE)
    if operator is None:
        return _to_login()
    return _page(request, "login_password.html", username=operator.username)


def new_password_problem(
    operator: Operator, settings: HubSettings, new_password: str, confirm: str
) -> str | None:
    """Why ``new_password`` cannot replace the operator's password, in Chinese."""
    if new_password != confirm:
        return "两次输入的新密码不一致"
    forbidden = (settings.bootstrap_password,) if settings.bootstrap_password else ()
    problem = password_problem(new_password, operator.username, forbidden)
    if problem is None and verify_password(operator.password_hash, new_password):
        problem = "新密码不能与当前密码相同"
    return problem


def _audit_refused_password(
    db: Session, operator: Operator, actor: str, problem: str, client: str
) -> None:
    """A new password the policy refused: audited (the password itself never is)."""
    audit.record(
        db.connection(), actor, "password_change", operator.username, problem, "failed", client
    )
    db.commit()


def set_password(
    db: Session, operator: Operator, new_password: str, actor: str, client: str
) -> None:
    operator.password_hash = hash_password(new_password)
    operator.must_change_password = False
    close_sessions_of(db, operator.id)
    audit.record(db.connection(), actor, "password_change", operator.username, "", "ok", client)


@router.post("/login/password")
def change_password(
    request: Request,
    db: Db,
    new_password: Annotated[str, Form(max_length=200)] = "",
    confirm: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Csrf = "",
) -> Response:
    operator, totp_done = _step(request, db, steps.CHANGE)
    if operator is None:
        return _refused_step(request, db, None, "修改密码：登录步骤无效或已过期")
    if not _csrf_ok(request, csrf_token):
        return _refused_step(request, db, operator, "修改密码：CSRF 校验失败")
    problem = new_password_problem(operator, _settings(request), new_password, confirm)
    if problem:
        _audit_refused_password(db, operator, operator.username, problem, client_of(request))
        return _page(
            request,
            "login_password.html",
            status_code=400,
            username=operator.username,
            error=problem,
        )
    set_password(db, operator, new_password, operator.username, client_of(request))
    return _go_on(request, db, operator, totp_done=totp_done)


# --- step 3: TOTP enrolment ------------------------------------------------------


@router.get("/login/totp-enrol")
def totp_enrol_form(request: Request, db: Db) -> Response:
    settings = _settings(request)
    token = steps.read_step(settings, request.cookies.get(steps.STEP_COOKIE))
    operator = steps.operator_for_step(db, token, steps.ENROL)
    if operator is None or token is None:
        return _to_login()
    # One candidate secret per step cookie: reloading the page shows the same QR.
    secret = token.enrol_secret or totp.new_secret()
    uri = totp.provisioning_uri(secret, operator.username)
    response = _page(
        request,
        "login_totp_enrol.html",
        username=operator.username,
        qr=totp.qr_data_uri(uri),
        secret=secret,
    )
    if not token.enrol_secret:
        cookie = steps.step_cookie(settings, operator, steps.ENROL, enrol_secret=secret)
        _set_cookie(request, response, steps.STEP_COOKIE, cookie)
    return response


@router.post("/login/totp-enrol")
def totp_enrol(request: Request, db: Db, code: Code = "", csrf_token: Csrf = "") -> Response:
    settings = _settings(request)
    token = steps.read_step(settings, request.cookies.get(steps.STEP_COOKIE))
    operator = steps.operator_for_step(db, token, steps.ENROL)
    if operator is None or token is None or not token.enrol_secret:
        return _refused_step(request, db, operator, "绑定动态口令：登录步骤无效或已过期")
    if not _csrf_ok(request, csrf_token):
        return _refused_step(request, db, operator, "绑定动态口令：CSRF 校验失败")
    step = totp.matching_step(token.enrol_secret, code)
    if step is None:
        audit.record(
            db.connection(),
            operator.username,
            "login_failed",
            "",
            "绑定动态口令：确认口令错误",
            "failed",
            client_of(request),
        )
        db.commit()
        uri = totp.provisioning_uri(token.enrol_secret, operator.username)
        return _page(
            request,
            "login_totp_enrol.html",
            status_code=400,
            username=operator.username,
            qr=totp.qr_data_uri(uri),
            secret=token.enrol_secret,
            error="动态口令不正确，请核对手机时间后重新输入",
        )
    operator.totp_secret = totp.seal(token.enrol_secret, cipher_of(db))
    operator.totp_last_step = step  # the confirming code is used up too
    audit.record(
        db.connection(),
        operator.username,
        "totp_enrol",
        operator.username,
        "",
        "ok",
        client_of(request),
    )
    return _go_on(request, db, operator, totp_done=True)


# --- step 4: the TOTP code --------------------------------------------------------


@router.get("/login/totp")
def totp_form(request: Request, db: Db) -> Response:
    operator = _step_operator(request, db, steps.TOTP)
    if operator is None:
        return _to_login()
    return _page(request, "login_totp.html", username=operator.username)


@router.post("/login/totp")
def totp_check(request: Request, db: Db, code: Code = "", csrf_token: Csrf = "") -> Response:
    operator = _step_operator(request, db, steps.TOTP)
    if operator is None:
        return _refused_step(request, db, None, "动态口令：登录步骤无效或已过期")
    if not _csrf_ok(request, csrf_token):
        return _refused_step(request, db, operator, "动态口令：CSRF 校验失败")
    client = client_of(request)
    device = _device(request, operator.username)
    if steps.throttle.throttled(db, operator.username, client, device):
        audit.record(
            db.connection(), operator.username, "login_failed", "", "尝试过于频繁", "failed", client
        )
        db.commit()
        return _page(
            request,
            "login_totp.html",
            status_code=401,
            username=operator.username,
            error=steps.FAILURE,
        )
    secret = totp.unseal(operator.totp_secret or "", cipher_of(db))
    step = totp.matching_step(secret, code) if secret else None
    if step is None or not totp.consume(db, operator.id, step):
        reason = "动态口令错误或已使用" if secret else "动态口令无法解密（缺少数据密钥？）"
        steps.fail(db, operator.username, client, reason, device)
        db.commit()
        return _page(
            request,
            "login_totp.html",
            status_code=401,
            username=operator.username,
            error=steps.FAILURE,
        )
    return _go_on(request, db, operator, totp_done=True)


# --- the session ------------------------------------------------------------------


@router.post("/logout")
def logout(request: Request, user: LoggedIn, db: Db) -> Response:
    db.execute(delete(OperatorSession).where(OperatorSession.id == user.session_id))
    audit.record(db.connection(), user.username, "logout", "", "", "ok", client_of(request))
    db.commit()
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=_COOKIE_PATH)
    return response


@router.get("/whoami")
def whoami(user: LoggedIn) -> dict[str, str]:
    """The logged-in operator and the CSRF token for scripted POSTs."""
    return {"username": user.username, "role": user.role, "csrf_token": user.csrf_token}


@router.get("/account")
def account_page(request: Request, user: LoggedIn) -> Response:
    response: Response = render(request, "account.html", user)
    return response


@router.post("/account/password")
def change_own_password(
    request: Request,
    user: LoggedIn,
    db: Db,
    password: Annotated[str, Form(max_length=200)] = "",
    new_password: Annotated[str, Form(max_length=200)] = "",
    confirm: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Change one's own password: the current one first (a session left open
    on a counter PC must not be enough to take the account)."""
    operator = db.get(Operator, user.operator_id)
    client = client_of(request)
    if operator is None or not verify_password(operator.password_hash, password):
        audit.record(
            db.connection(),
            user.username,
            "password_change",
            user.username,
            "当前密码错误",
            "failed",
            client,
        )
        db.commit()
        return render(request, "account.html", user, status_code=400, error="当前密码不正确")
    problem = new_password_problem(operator, _settings(request), new_password, confirm)
    if problem:
        _audit_refused_password(db, operator, user.username, problem, client)
        return render(request, "account.html", user, status_code=400, error=problem)
    set_password(db, operator, new_password, user.username, client)
    db.commit()
    # Every session of the account ended with the change, this one too.
    response = RedirectResponse("/console/login?msg=密码已修改，请重新登录", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=_COOKIE_PATH)
    return response

"""Login and logout."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import delete

from hub.fleet import audit
from hub.fleet.console.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Db,
    Viewer,
    attempt_login,
    client_of,
    load_user,
    open_session,
    sign_session,
)
from hub.fleet.console.views import render
from hub.fleet.models import OperatorSession

router = APIRouter(tags=["console"], include_in_schema=False)

_COOKIE_PATH = "/console"


def _set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=_COOKIE_PATH,
    )


@router.get("/login")
def login_form(request: Request, db: Db) -> Response:
    if load_user(request, db) is not None:
        return RedirectResponse("/console/", status_code=303)
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", None, login_csrf=token)
    _set_cookie(request, response, LOGIN_CSRF_COOKIE, token)
    return response


@router.post("/login")
def login(
    request: Request,
    db: Db,
    username: Annotated[str, Form(max_length=60)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, csrf_token):
        response: Response = render(
            request,
            "login.html",
            None,
            status_code=403,
            login_csrf=cookie,
            error="页面已过期，请重新登录",
        )
        return response
    operator, reason = attempt_login(db, username.strip(), password, client_of(request))
    if operator is None:
        db.commit()  # keep the failure count and the audit entry
        return render(request, "login.html", None, status_code=401, login_csrf=cookie, error=reason)
    secret = open_session(request, db, operator)
    db.commit()  # before the redirect: the next request must find the session
    response = RedirectResponse("/console/", status_code=303)
    _set_cookie(request, response, SESSION_COOKIE, sign_session(request, secret))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=_COOKIE_PATH)
    return response


@router.post("/logout")
def logout(request: Request, user: Viewer, db: Db) -> Response:
    db.execute(delete(OperatorSession).where(OperatorSession.id == user.session_id))
    audit.record(db.connection(), user.username, "logout", "", "", "ok", client_of(request))
    db.commit()
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=_COOKIE_PATH)
    return response


@router.get("/whoami")
def whoami(user: Viewer) -> dict[str, str]:
    """The logged-in operator and the CSRF token for scripted POSTs."""
    return {"username": user.username, "role": user.role, "csrf_token": user.csrf_token}

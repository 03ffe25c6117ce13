"""The operators' web console (server-rendered Chinese pages under
``/console``; live parts refresh HTML fragments with a few lines of
vanilla JS in ``static/console.js``)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from hub.fleet.console import (
    admin_pages,
    auth_pages,
    content_pages,
    fleet_pages,
    notification_pages,
    payment_pages,
    rollout_pages,
    stats_pages,
    workbench_pages,
)
from hub.fleet.console.security import LoginRequired
from hub.fleet.console.views import STATIC_DIR, make_templates
from hub.settings import HubSettings

PREFIX = "/console"


async def _login_required(request: Request, _exc: Exception) -> Response:
    # A browser asking for a page is sent to the login form; fragments (the
    # page script), POSTs and non-browser clients get 401.
    wants_page = (
        request.method == "GET"
        and "/fragments/" not in request.url.path
        and "text/html" in request.headers.get("accept", "")
    )
    if wants_page:
        return RedirectResponse(f"{PREFIX}/login", status_code=303)
    return JSONResponse({"detail": "请先登录"}, status_code=401)


def mount(app: FastAPI, settings: HubSettings) -> None:
    """Add the console routes, its static files and the login redirect."""
    del settings  # read per request from app.state.settings
    app.state.fleet_templates = make_templates()
    workbench_pages.install_globals(app.state.fleet_templates)
    for module in (
        auth_pages,
        fleet_pages,
        content_pages,
        stats_pages,
        notification_pages,
        admin_pages,
        payment_pages,
        workbench_pages,
        rollout_pages,
    ):
        app.include_router(module.router, prefix=PREFIX)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=str(STATIC_DIR)), name="console-static")
    app.add_exception_handler(LoginRequired, _login_required)

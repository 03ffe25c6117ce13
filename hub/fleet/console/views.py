"""Template rendering shared by the console pages."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from hub.fleet.alerts import ALERT_LABELS
from hub.fleet.audit import ACTION_LABELS
from hub.fleet.clock import utcnow
from hub.fleet.commands import STATE_LABELS
from hub.fleet.console.roles import ROLE_LABELS
from hub.fleet.console.security import ConsoleUser
from hub.fleet.health import DEVICE_STATE_LABELS, PAPER_LABELS, STATUS_LABELS
from protocol.commands import COMMANDS
from protocol.events import EventKind

# Audit actions of the login steps, the break-glass command and the audit
# export, beside the audit module's own labels.
CONSOLE_ACTION_LABELS: dict[str, str] = {
    "password_change": "修改密码",
    "totp_enrol": "绑定动态口令",
    "audit_export": "导出审计日志",
    "breakglass": "主机命令行操作",
}

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def age(value: datetime | None, now: datetime | None = None) -> str:
    """'3 分钟前'-style age of a naive-UTC timestamp."""
    if value is None:
        return "从未"
    seconds = int(((now or utcnow()) - value).total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)} 秒前"
    if seconds < 3600:
        return f"{seconds // 60} 分钟前"
    if seconds < 86400:
        return f"{seconds // 3600} 小时前"
    return f"{seconds // 86400} 天前"


def fmt_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "—"


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
    env = templates.env
    env.filters["age"] = age
    env.filters["t"] = fmt_time
    env.globals.update(
        STATUS_LABELS=STATUS_LABELS,
        PAPER_LABELS=PAPER_LABELS,
        DEVICE_STATE_LABELS=DEVICE_STATE_LABELS,
        ALERT_LABELS=ALERT_LABELS,
        ACTION_LABELS={**ACTION_LABELS, **CONSOLE_ACTION_LABELS},
        COMMAND_LABELS={kind.value: spec.label for kind, spec in COMMANDS.items()},
        COMMAND_STATE_LABELS=STATE_LABELS,
        ROLE_LABELS=ROLE_LABELS,
        EVENT_LABELS={
            EventKind.CALL_STAFF: "呼叫工作人员",
            EventKind.SESSION_SUMMARY: "服务会话结束",
            EventKind.JOURNAL_INTEGRITY: "流水校验",
            EventKind.JOURNAL_ERROR: "流水写入失败",
            EventKind.DISK_FULL: "磁盘已满",
            EventKind.OUT_OF_SERVICE: "暂停服务",
            EventKind.APP_ERROR: "程序错误",
            "device_fault": "设备故障",  # a journal record kind, labelled should a terminal send it
        },
    )
    return templates


def render(
    request: Request,
    name: str,
    user: ConsoleUser | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render ``name`` with the current user and a flash message from ``?msg=``."""
    templates: Jinja2Templates = request.app.state.fleet_templates
    context.setdefault("flash", request.query_params.get("msg", "")[:200])
    context.setdefault("error", request.query_params.get("err", "")[:200])
    response = templates.TemplateResponse(
        request, name, {"user": user, **context}, status_code=status_code
    )
    # Console pages are never framed (clickjacking), run only our own script,
    # and are not cached (they show live state and CSRF tokens).
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'"
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def see_other(db: Session, url: str) -> RedirectResponse:
    """Commit, then redirect (303) after a POST. Committing here rather than in
    the session dependency's teardown guarantees the page the browser loads
    next already shows the change."""
    db.commit()
    return RedirectResponse(url, status_code=303)

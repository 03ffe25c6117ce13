"""短信通知: the SMS the hub sent applicants at each status change (受理, 办结 …).

The built-in notifier records them instead of sending (a real SMS gateway
plugs in behind the same interface); operators see here what applicants
were told. Phones are stored masked, so nothing personal is shown.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from hub.fleet.console.security import Db, Viewer
from hub.fleet.console.views import render
from hub.services.models import SmsRow

router = APIRouter(tags=["console"], include_in_schema=False)

PAGE_SIZE = 200


@router.get("/notifications")
def notifications_page(request: Request, user: Viewer, db: Db) -> HTMLResponse:
    rows = db.scalars(select(SmsRow).order_by(SmsRow.sent_at.desc()).limit(PAGE_SIZE)).all()
    return render(request, "notifications.html", user, messages=rows, page_size=PAGE_SIZE)

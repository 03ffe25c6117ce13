"""短信通知: the progress SMS of applications (受理, 补正, 办结 …).

Every message travels through the back office's outbox
(``hub/backoffice/sms.py``): the page shows each one's delivery status
(待发送 / 已发送 / 发送失败, or 仅记录 when no gateway is configured: the
demo's recording gateway never sends, and the page never calls that
"sent"), and operators retry a failed one. Phones are shown masked only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from hub.backoffice import sms
from hub.backoffice.models import SmsOutboxRow
from hub.backoffice.runtime import BackOffice
from hub.fleet import audit
from hub.fleet.console.security import Db, OperatorUser, Viewer, client_of
from hub.fleet.console.views import render, see_other
from hub.services.models import SmsRow

router = APIRouter(tags=["console"], include_in_schema=False)

PAGE_SIZE = 200


@router.get("/notifications")
def notifications_page(request: Request, user: Viewer, db: Db) -> HTMLResponse:
    rows = db.scalars(select(SmsRow).order_by(SmsRow.sent_at.desc()).limit(PAGE_SIZE)).all()
    outbox = db.scalars(
        select(SmsOutboxRow).order_by(SmsOutboxRow.id.desc()).limit(PAGE_SIZE)
    ).all()
    office: BackOffice = request.app.state.backoffice
    return render(
        request,
        "notifications.html",
        user,
        messages=rows,
        outbox=outbox,
        counts=sms.counts(db),
        SMS_LABELS=sms.STATUS_LABELS,
        sends_for_real=office.sends_for_real,
        page_size=PAGE_SIZE,
    )


@router.post("/notifications/retry")
def retry_message(
    request: Request,
    user: OperatorUser,
    db: Db,
    message_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
) -> Response:
    office: BackOffice = request.app.state.backoffice
    if not sms.retry_failed(db, message_id, office.clock.now()):
        return see_other(db, "/console/notifications?err=只能重发发送失败的短信")
    audit.record(
        db.connection(),
        user.username,
        "sms_retry",
        f"sms:{message_id}",
        "",
        "ok",
        client_of(request),
    )
    response = see_other(db, "/console/notifications?msg=已重新排队发送")
    office.dispatcher.wake()
    return response

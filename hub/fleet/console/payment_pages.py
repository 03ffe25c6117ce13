"""支付对账与告警: what the payment channels raised (forged signatures, notices
for unknown orders, reconciliation findings) and each day's 对账 run.

Alerts name order numbers and days, never a person. Resolving one is an
operator action, written to the audit log like every other.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select, update

from hub.fleet import audit
from hub.fleet.clock import utcnow
from hub.fleet.console.security import Db, OperatorUser, RowId, Viewer, client_of
from hub.fleet.console.views import render, see_other
from hub.services.payments.alerts import ALERT_LABELS
from hub.services.payments.models import PaymentAlertRow, ReconciliationRow

router = APIRouter(tags=["console"], include_in_schema=False)

RUNS_SHOWN = 30


@router.get("/payments")
def payments_page(request: Request, user: Viewer, db: Db) -> HTMLResponse:
    alerts = db.scalars(
        select(PaymentAlertRow)
        .where(PaymentAlertRow.open_key.is_not(None))
        .order_by(PaymentAlertRow.raised_at.desc())
    ).all()
    runs = db.scalars(
        select(ReconciliationRow)
        .order_by(ReconciliationRow.day.desc(), ReconciliationRow.channel)
        .limit(RUNS_SHOWN)
    ).all()
    return render(
        request,
        "payments.html",
        user,
        alerts=alerts,
        runs=runs,
        labels=ALERT_LABELS,
        now=utcnow(),
    )


@router.post("/payments/alerts/{alert_id}/resolve")
def resolve_payment_alert(
    request: Request, alert_id: RowId, user: OperatorUser, db: Db
) -> Response:
    alert = db.get(PaymentAlertRow, alert_id)
    if alert is None:
        raise HTTPException(404, detail="告警不存在")
    if alert.open_key is not None:
        db.execute(
            update(PaymentAlertRow)
            .where(PaymentAlertRow.id == alert.id)
            .values(open_key=None, resolved_at=utcnow())
        )
    audit.record(
        db.connection(),
        user.username,
        "payment_alert_resolve",
        f"payment_alert:{alert.id} {alert.channel}:{alert.subject}",
        ALERT_LABELS.get(alert.kind, alert.kind),
        "ok",
        client_of(request),
    )
    return see_other(db, "/console/payments?msg=已解除告警")

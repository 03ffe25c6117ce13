"""支付对账 page: the payment channels' alerts and each day's reconciliation; an
operator resolves an alert and the audit log says so."""

from __future__ import annotations

from datetime import date

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from hub.fleet.clock import utcnow
from hub.fleet.models import AuditEntry
from hub.services.payments.models import PaymentAlertRow, ReconciliationRow
from tests.hub.conftest import ADMIN_PASSWORD
from tests.hub.fleet.helpers import login


def test_payment_alerts_and_reconciliations_shown_and_resolved_with_audit(
    client: TestClient, hub_app: FastAPI
) -> None:
    now = utcnow()
    with hub_app.state.engine.begin() as conn:
        alert_id = conn.execute(
            insert(PaymentAlertRow)
            .values(
                raised_at=now,
                channel="wechat",
                kind="reconcile_missing_local",
                subject="HM20261122100000abcd",
                detail="2026-11-22 pay: 本地0分，账单40000分",
                open_key="wechat:reconcile_missing_local:HM20261122100000abcd",
            )
            .returning(PaymentAlertRow.id)
        ).scalar_one()
        conn.execute(
            insert(ReconciliationRow).values(
                channel="wechat",
                day=date(2026, 11, 22),
                ran_at=now,
                mismatches=[
                    {
                        "order_no": "HM20261122100000abcd",
                        "kind": "pay",
                        "local_fen": 0,
                        "bill_fen": 40000,
                    }
                ],
            )
        )
    csrf = login(client, "admin", ADMIN_PASSWORD)
    page = client.get("/console/payments")
    assert page.status_code == 200
    assert "对账：渠道有记录，本地无记录" in page.text and "HM20261122100000abcd" in page.text
    assert "1 处差异" in page.text and "账单 40000 分" in page.text
    done = client.post(
        f"/console/payments/alerts/{alert_id}/resolve",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "暂无支付告警" in client.get("/console/payments").text
    with hub_app.state.engine.connect() as conn:
        row = conn.execute(select(PaymentAlertRow).where(PaymentAlertRow.id == alert_id)).one()
        assert row.open_key is None and row.resolved_at is not None
        audited = conn.execute(
            select(AuditEntry.action, AuditEntry.target).where(
                AuditEntry.action == "payment_alert_resolve"
            )
        ).all()
    assert [(a.action, a.target) for a in audited] == [
        ("payment_alert_resolve", f"payment_alert:{alert_id} wechat:HM20261122100000abcd")
    ]
    missing = client.post("/console/payments/alerts/999999/resolve", data={"csrf_token": csrf})
    assert missing.status_code == 404

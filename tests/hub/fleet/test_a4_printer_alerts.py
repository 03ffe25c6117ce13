"""The A4 printer's paper state reaches the console's alerts from the
heartbeat, beside the receipt printer's (the kiosk reports it as device
``document_printer``, kiosk/document_printer.py)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.fleet.models import Alert
from tests.hub.fleet.helpers import device, enrol, heartbeat_body


def open_alerts(app: FastAPI) -> list[tuple[str, str]]:
    with app.state.engine.connect() as conn:
        rows = conn.execute(
            select(Alert.kind, Alert.subject).where(Alert.open_key.is_not(None))
        ).all()
    return sorted((str(k), str(s)) for k, s in rows)


def test_a4_paper_out_is_an_alert_and_clears_when_paper_is_loaded(
    client: TestClient, hub_app: FastAPI
) -> None:
    _, auth = enrol(client)
    body = heartbeat_body()
    body["devices"].append(device("document_printer", "online", "out"))
    assert client.post("/api/v1/terminal/heartbeat", json=body, headers=auth).status_code == 200
    alerts = open_alerts(hub_app)
    assert [kind for kind, _ in alerts] == ["paper_out"]
    assert "document_printer" in alerts[0][1]
    body["devices"][-1] = device("document_printer", "online", "full")
    client.post("/api/v1/terminal/heartbeat", json=body, headers=auth)
    assert open_alerts(hub_app) == []

"""The whole hub (``create_app``, migrations, terminal credentials, lifespan) with a
real channel configured: the notification route is the only payment route a
caller without a terminal credential reaches, and only with the channel's
signature; orders still need a terminal; the reconciler runs in the lifespan."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from hub.services.payments.alerts import AlertingChannel
from hub.settings import HubSettings
from tests.hub.conftest import ADMIN_PASSWORD, REPO, build_app
from tests.hub.fleet.helpers import enrol
from tests.hub.services.channels.conftest import ALIPAY_NOTIFY_PATH, NOTIFY_PATH, write_merchant
from tools.paypeers.wechat import WeChatPayEmulator

S = "/api/v1/services"


def test_wechat_configured_hub_scopes_its_routes(tmp_path: Path) -> None:
    with WeChatPayEmulator() as emu:  # the machine's clock: the hub runs as deployed
        settings = HubSettings(
            database_url=f"sqlite:///{tmp_path / 'hub.db'}",
            data_key_file=str(tmp_path / "hub-data.key"),
            secret_key="test-secret-key-0123456789",
            catalogue_path=str(REPO / "config" / "catalogue.json"),
            bootstrap_password=ADMIN_PASSWORD,
            payment_provider="wechat",
            wechat=write_merchant(tmp_path / "wechat", emu),
        )
        app = build_app(settings)
        with TestClient(app) as client:
            assert isinstance(app.state.services.payments.provider, AlertingChannel)
            assert app.state.payment_reconciler is not None  # runs for the app's lifespan
            body = {
                "idempotency_key": "hub-wx-0001",
                "item": "resident_medical_2027",
                "payer_id_numbers": ["410225194503120021"],
                "method": "native",
            }
            assert client.post(f"{S}/payments/orders", json=body).status_code == 401
            _, auth = enrol(client)
            settings_reply = client.get(f"{S}/terminal-settings", headers=auth).json()
            assert settings_reply["payments"]["enabled"] is True
            # No sandbox phone on a hub with a real channel.
            assert client.post(f"{S}/payments/sandbox/pay/HM1", headers=auth).status_code == 404
            # The notification route: no terminal credential, but nothing without a signature.
            unsigned = client.post(NOTIFY_PATH, content=b'{"id":"x"}')
            assert unsigned.status_code == 400 and unsigned.json()["code"] == "FAIL"
            assert client.post(ALIPAY_NOTIFY_PATH, content=b"a=b").status_code == 404
        app.state.engine.dispose()

"""Hub settings the services read: the payment provider (the sandbox and its simulated
phone exist only when chosen), ``public_url`` for certificate QR codes, and the
lookup of an order by its idempotency key."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from hub.__main__ import main as hub_main
from hub.crypto import DataCipher, new_key_line, parse_key_file
from hub.db import Base, make_engine, make_sessionmaker
from hub.fleet.auth import TokenCache, current_terminal
from hub.services import api
from hub.services.clock import ManualClock
from hub.services.payments.sandbox import SandboxPaymentProvider
from hub.settings import HubConfigError, HubSettings, load_hub_settings
from tests.hub.services.conftest import (
    REPO,
    TERMINAL_TOKEN,
    FleetStub,
    S,
    build_services_app,
    enrol_terminal,
    id_of,
    public_key_of,
    session,
)

SANDBOX_PAY = "/api/v1/services/payments/sandbox/pay/{order_no}"
WECHAT_CODE = "134567890123456789"


class RealChannel:
    """Stands in for a real provider's adapter: the sandbox's trades behind another type."""

    def __init__(self, clock: ManualClock) -> None:
        self._inner = SandboxPaymentProvider(clock, rng=random.Random(1))
        self.create = self._inner.create
        self.query = self._inner.query
        self.cancel = self._inner.cancel
        self.refund = self._inner.refund
        self.daily_bill = self._inner.daily_bill

    def has_trade(self, order_no: str) -> bool:
        return self._inner.has_trade(order_no)


def app_with_real_channel(tmp_path: Path, clock: ManualClock) -> tuple[FastAPI, RealChannel]:
    """The services as a hub configured with a real provider would mount them.

    No real adapter exists yet, so HubSettings would refuse the name: the test
    sets it past validation, as the adapter's entry in PAYMENT_PROVIDERS will.
    """
    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'real.db'}",
        catalogue_path=str(REPO / "config/catalogue.json"),
    ).model_copy(update={"payment_provider": "wechatpay"})
    app = FastAPI()
    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)
    app.state.settings = settings
    app.state.sessionmaker = make_sessionmaker(engine, DataCipher(parse_key_file(new_key_line())))
    app.state.engine = engine
    app.state.fleet = FleetStub(TokenCache(engine))
    guard = [Depends(current_terminal)]
    app.include_router(api.router, dependencies=guard)
    channel = RealChannel(clock)
    api.on_startup(
        app,
        settings,
        clock=clock,
        payment_provider=channel,
        sweep_interval_s=None,
        dependencies=guard,
    )
    app.state.test_terminal_id, app.state.test_signing_key = enrol_terminal(
        app, "real-channel", TERMINAL_TOKEN
    )
    return app, channel


def native_order(client: TestClient, key: str) -> str:
    r = client.post(
        f"{S}/payments/orders",
        json={
            "idempotency_key": key,
            "item": "resident_medical_2027",
            "person_session": session(client, "zhao_lei"),
            "payer_id_numbers": [id_of("zhao_lei")],
            "method": "native",
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["order_no"])


def test_sandbox_phone_exists_with_the_sandbox(svc_client: TestClient) -> None:
    assert SANDBOX_PAY in svc_client.get("/openapi.json").json()["paths"]
    no = native_order(svc_client, "sandbox-on-0001")
    assert svc_client.post(f"{S}/payments/sandbox/pay/{no}").json()["trade_state"] == "SUCCESS"


def test_no_sandbox_phone_with_a_real_channel(tmp_path: Path, svc_clock: ManualClock) -> None:
    app, channel = app_with_real_channel(tmp_path, svc_clock)
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {TERMINAL_TOKEN}"
        assert SANDBOX_PAY not in client.get("/openapi.json").json()["paths"]
        assert f"{S}/payments/orders" in client.get("/openapi.json").json()["paths"]
        no = native_order(client, "sandbox-off-0001")
        assert channel.has_trade(no)  # a trade exists that the route could have paid
        r = client.post(f"{S}/payments/sandbox/pay/{no}")
        assert r.status_code == 404
        assert client.get(f"{S}/payments/orders/{no}").json()["status"] == "PAYING"


def write_config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text("[hub]\n" + body, encoding="utf-8")
    return path


def test_provider_names_are_checked_and_the_choices_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert HubSettings().payment_provider == "sandbox"  # demo data: the sandbox
    assert HubSettings(demo_data=False, payment_provider="sandbox").payment_provider == "sandbox"
    with pytest.raises(HubConfigError) as err:
        load_hub_settings(write_config(tmp_path, 'payment_provider = "wechatpay"\n'))
    assert err.value.problems == [
        "hub.payment_provider: Value error, no payment adapter 'wechatpay'"
        " (choices: none, sandbox, wechat, alipay)"
    ]
    with pytest.raises(HubConfigError) as err:
        load_hub_settings(write_config(tmp_path, "demo_data = false\n"))
    assert err.value.problems == [
        "hub.payment_provider: Value error, required when demo_data is false"
        " (choices: none, sandbox, wechat, alipay)"
    ]
    # python -m hub stops with status 2 and says which key is wrong.
    assert hub_main(["--config", str(write_config(tmp_path, 'payment_provider = "x"\n'))]) == 2
    assert "hub.payment_provider" in capsys.readouterr().err


def test_public_url_setting(tmp_path: Path) -> None:
    shipped = load_hub_settings(REPO / "config/hub.toml")
    assert shipped.public_url is None and shipped.payment_provider == "sandbox"
    path = write_config(tmp_path, 'public_url = "https://hub.lankao.example/"\n')
    assert load_hub_settings(path).public_url == "https://hub.lankao.example"
    with pytest.raises(HubConfigError) as err:
        load_hub_settings(write_config(tmp_path, 'public_url = "hub.lankao.example"\n'))
    assert err.value.problems[0].startswith("hub.public_url: ")


def test_certificate_qr_uses_public_url(
    tmp_path: Path, svc_clock: ManualClock, sandbox: SandboxPaymentProvider
) -> None:
    app = build_services_app(
        f"sqlite:///{tmp_path / 'pub.db'}",
        svc_clock,
        sandbox,
        public_url="https://hub.lankao.example",
    )
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {TERMINAL_TOKEN}"
        cert = client.post(
            f"{S}/certificates/insurance", json={"person_session": session(client, "wang_fang")}
        )
        body = cert.json()
        url = f"https://hub.lankao.example/verify/{body['code']}"
        assert body["qr_url"] == url and body["printable"]["qr_url"] == url
        # The page itself is where the URL says, whatever host the terminal used.
        assert client.get(f"/verify/{body['code']}").status_code == 200


def test_certificate_qr_without_public_url_uses_the_request_host(svc_client: TestClient) -> None:
    cert = svc_client.post(
        f"{S}/certificates/insurance", json={"person_session": session(svc_client, "wang_fang")}
    )
    assert cert.json()["qr_url"] == f"http://testserver/verify/{cert.json()['code']}"


def test_lookup_by_idempotency_key(
    svc_client: TestClient, svc_clock: ManualClock, sandbox: SandboxPaymentProvider
) -> None:
    missing = svc_client.post(
        f"{S}/payments/orders/lookup", json={"idempotency_key": "never-sent-key-0001"}
    )
    assert missing.status_code == 404
    created = svc_client.post(
        f"{S}/payments/orders",
        json={
            "idempotency_key": "lookup-key-0001",
            "item": "resident_medical_2027",
            "person_session": session(svc_client, "zhao_lei"),
            "payer_id_numbers": [id_of("zhao_lei")],
            "method": "micropay",
            "auth_code": WECHAT_CODE,
        },
    ).json()
    svc_clock.advance(10)  # the sandbox customer has paid by now
    found = svc_client.post(
        f"{S}/payments/orders/lookup", json={"idempotency_key": "lookup-key-0001"}
    )
    assert found.status_code == 200, found.text
    assert found.json()["order_no"] == created["order_no"]
    # A pure read: the order is not stepped (the provider is not asked) ...
    assert found.json()["status"] == "PAYING"
    # ... following it by number does that.
    assert svc_client.get(f"{S}/payments/orders/{created['order_no']}").json()["status"] == "PAID"
    assert sandbox.charges(created["order_no"]) == 1
    short = svc_client.post(f"{S}/payments/orders/lookup", json={"idempotency_key": "x"})
    assert short.status_code == 422


def test_new_routes_need_a_terminal_credential(tmp_path: Path) -> None:
    """In the real app (hub.app.create_app) the documents, the lookup and the sandbox's
    phone sit behind terminal authentication like every citizen-services route."""
    from hub.app import create_app
    from tests.hub.conftest import prepare_schema

    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'auth.db'}",
        secret_key="auth-test-secret-0123456789",
        catalogue_path=str(REPO / "config/catalogue.json"),
    )
    prepare_schema(settings.database_url)
    app = create_app(settings)
    with TestClient(app) as client:
        for path, body in (
            (f"{S}/documents", {"person_session": "some-handle-0123456789"}),
            (f"{S}/payments/orders/lookup", {"idempotency_key": "some-key-0001"}),
            (f"{S}/payments/sandbox/pay/HM1", {}),
        ):
            assert client.post(path, json=body).status_code == 401, path
        signing_key = Ed25519PrivateKey.generate()
        enrol = client.post(
            "/api/v1/terminal/enrol",
            json={
                "code": "DEMO-ENROL",
                "name": "auth-test",
                "place": {"county": "兰考县"},
                "public_key": public_key_of(signing_key),
            },
        )
        auth = {"Authorization": f"Bearer {enrol.json()['token']}"}
        handle = session(client, "wang_fang", signing_key=signing_key, headers=auth)
        r = client.post(f"{S}/documents", json={"person_session": handle}, headers=auth)
        assert r.status_code == 200 and len(r.json()["documents"]) == 2
    app.state.engine.dispose()

"""Production safety in-process: the refusals of a hub outside demo mode, the
shipped example config, the docs switched off, and payments off with the
terminal settings that say where to pay instead. (The same against real hub
processes and an installed tree: tests/security/.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.__main__ import main as hub_main
from hub.crypto import create_key_file
from hub.production import refusals
from hub.settings import HubConfigError, HubSettings, load_hub_settings
from tests.hub.conftest import REPO, build_app, prepare_schema
from tests.hub.fleet.helpers import enrol

EXAMPLE = REPO / "config" / "hub.production.example.toml"
S = "/api/v1/services"
GOOD = {
    "secret_key": "k" * 40,
    "demo_data": False,
    "bootstrap_password": "Boot-strap-pass-1",
    "public_url": "https://hub.test.example",
    "payment_provider": "none",
    "documents": {"enabled": False},  # the office's seal is installed later (README)
}


def settings(tmp_path: Path, **overrides: object) -> HubSettings:
    """A complete production config, with its data key made (install.sh's job)."""
    key_file = tmp_path / "hub-data.key"
    create_key_file(key_file)
    values = {
        **GOOD,
        "database_url": f"sqlite:///{tmp_path / 'hub.db'}",
        "catalogue_path": str(REPO / "config" / "catalogue.json"),
        "data_key_file": str(key_file),
        **overrides,
    }
    return HubSettings.model_validate(values)


def test_demo_mode_refuses_nothing() -> None:
    assert refusals(HubSettings()) == []
    assert refusals(load_hub_settings(REPO / "config" / "hub.toml")) == []


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ({"secret_key": "dev-secret-change-me"}, "hub.secret_key is the demo"),
        ({"secret_key": "SET-ME: 32+ random characters"}, "hub.secret_key is the demo"),
        ({"secret_key": "x" * 20}, "hub.secret_key is shorter than 32"),
        ({"bootstrap_password": "huimin-demo"}, "hub.bootstrap_password is the demo"),
        ({"bootstrap_password": "SET-ME: a one-time password"}, "hub.bootstrap_password is the"),
        ({"bootstrap_password": "alllowercase-x"}, "hub.bootstrap_password is too weak"),
        ({"public_url": None}, "hub.public_url is not set"),
        ({"payment_provider": "sandbox"}, 'hub.payment_provider is "sandbox"'),
        ({"data_key_file": "/nonexistent/hub-data.key"}, "hub.data_key_file: /nonexistent"),
    ],
)
def test_each_unsafe_value_is_refused_naming_its_key(
    tmp_path: Path, override: dict[str, object], key: str
) -> None:
    found = refusals(settings(tmp_path, **override))
    assert len(found) == 1 and found[0].startswith(key), found


def test_a_complete_production_config_is_accepted(tmp_path: Path) -> None:
    assert refusals(settings(tmp_path)) == []
    # No bootstrap account at all (operators made with the break-glass command) is fine.
    assert refusals(settings(tmp_path, bootstrap_password=None)) == []


def test_the_example_is_refused_until_its_secrets_are_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = load_hub_settings(EXAMPLE)
    assert not example.demo_data and example.payment_provider == "none"
    found = refusals(example)
    # The data key too, unless this machine has the installed hub's.
    key_missing = not Path(example.data_key_file).exists()
    assert [line.split(" ", 1)[0].rstrip(":") for line in found] == [
        "hub.secret_key",
        "hub.bootstrap_password",
        "hub.public_url",
    ] + (["hub.data_key_file"] if key_missing else [])
    assert hub_main(["--config", str(EXAMPLE), "--check"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"hub refuses to start: {line}" for line in found]
    filled = tmp_path / "hub.toml"
    key_file = tmp_path / "hub-data.key"
    text = EXAMPLE.read_text(encoding="utf-8")
    assert f'data_key_file = "{example.data_key_file}"' in text
    filled.write_text(
        text.replace('"SET-ME: 32+ random characters"', '"' + "s" * 43 + '"')
        .replace('"SET-ME: a one-time password"', '"Boot-strap-pass-1"')
        .replace('# public_url = "https', 'public_url = "https')
        .replace(f'data_key_file = "{example.data_key_file}"', f'data_key_file = "{key_file}"'),
        encoding="utf-8",
    )
    assert hub_main(["--config", str(filled), "--check"]) == 2  # the key is still missing
    assert capsys.readouterr().err.splitlines() == [
        f"hub refuses to start: hub.data_key_file: {key_file} does not exist "
        "(python -m hub data-key create)"
    ]
    assert hub_main(["--config", str(filled), "data-key", "create"]) == 0
    capsys.readouterr()
    assert hub_main(["--config", str(filled), "--check"]) == 0
    assert "valid" in capsys.readouterr().out


def test_create_app_refuses_too(tmp_path: Path) -> None:
    with pytest.raises(HubConfigError) as err:
        build_app(settings(tmp_path, public_url=None))
    assert err.value.problems[0].startswith("hub.public_url")


@pytest.fixture
def prod_app(tmp_path: Path) -> Iterator[FastAPI]:
    app = build_app(settings(tmp_path))
    yield app
    app.state.engine.dispose()


def test_no_docs_in_production(prod_app: FastAPI, tmp_path: Path) -> None:
    with TestClient(prod_app) as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 404, path
        assert client.get("/healthz").status_code == 200
    demo_settings = HubSettings(database_url=f"sqlite:///{tmp_path / 'demo.db'}")
    prepare_schema(demo_settings.database_url)
    demo = build_app(demo_settings)
    with TestClient(demo) as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 200, path
    demo.state.engine.dispose()


def test_production_hub_has_no_demo_enrolment_code_nor_sandbox(prod_app: FastAPI) -> None:
    with TestClient(prod_app) as client:
        refused = client.post(
            "/api/v1/terminal/enrol",
            json={"code": "DEMO-ENROL", "name": "x", "place": {"county": "兰考县"}},
        )
        assert refused.status_code in (401, 403, 404), refused.text
        paths = {getattr(r, "path", "") for r in prod_app.routes}
        assert f"{S}/payments/sandbox/pay/{{order_no}}" not in paths


def test_payments_off_terminal_settings_and_refusals(prod_app: FastAPI) -> None:
    with TestClient(prod_app) as client:
        assert client.get(f"{S}/terminal-settings").status_code == 401  # terminals only
        _, auth = _enrol_with_a_code(client, prod_app)
        reply = client.get(f"{S}/terminal-settings", headers=auth)
        assert reply.status_code == 200
        assert reply.json() == {
            "payments": {
                "enabled": False,
                "channel": None,
                "pay_elsewhere": {
                    "zh": "请到村便民服务站窗口或通过微信/支付宝医保小程序缴费",
                    "en": "Please pay at the village service point's counter, or in the medical"
                    " insurance mini-program of WeChat or Alipay.",
                },
            }
        }
        order = client.post(
            f"{S}/payments/orders",
            json={
                "idempotency_key": "payments-off-0001",
                "item": "resident_medical_2027",
                "payer_id_numbers": ["410225196208154410"],
                "method": "native",
            },
            headers=auth,
        )
        assert order.status_code == 409
        assert order.json() == {"detail": "请到村便民服务站窗口或通过微信/支付宝医保小程序缴费"}
        quote = client.post(
            f"{S}/payments/quote", json={"id_number": "410225196208154410"}, headers=auth
        )
        assert quote.status_code == 409


def test_demo_terminal_settings_say_payments_are_on(client: TestClient) -> None:
    _, auth = enrol(client)
    reply = client.get(f"{S}/terminal-settings", headers=auth).json()
    assert reply == {"payments": {"enabled": True, "channel": "sandbox", "pay_elsewhere": None}}


def _enrol_with_a_code(client: TestClient, app: FastAPI) -> tuple[int, dict[str, str]]:
    """Enrol through a one-time code made as the console would (no DEMO-ENROL here)."""
    from hub.fleet.clock import utcnow
    from hub.fleet.models import EnrolmentCode

    with app.state.engine.begin() as conn:
        conn.execute(
            EnrolmentCode.__table__.insert().values(
                code="TEST-CODE-0001", created_by="t", created_at=utcnow(), reusable=False, note=""
            )
        )
    return enrol(client, code="TEST-CODE-0001")

"""Fixtures for the real payment channels: each emulator on 127.0.0.1 with its own
keys, the merchant's files written as a county would (keys mode 0600), and a
services app whose channel is built from ``[hub.wechat]`` / ``[hub.alipay]``
settings exactly as the hub builds it."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from hub.crypto import DataCipher, new_key_line, parse_key_file
from hub.db import Base, make_engine, make_sessionmaker
from hub.fleet.auth import TokenCache, current_terminal
from hub.merchant_settings import AlipayMerchant, WeChatMerchant
from hub.services import api
from hub.services.clock import ManualClock
from hub.services.context import ServiceContext
from hub.services.payments.alerts import AlertingChannel
from hub.settings import HubSettings
from tests.hub.services.conftest import TERMINAL_TOKEN, FleetStub, enrol_terminal
from tools.paypeers.alipay import AlipayEmulator
from tools.paypeers.wechat import Notification, WeChatPayEmulator

NOTIFY_PATH = "/api/v1/services/payments/notify/wechat"
ALIPAY_NOTIFY_PATH = "/api/v1/services/payments/notify/alipay"


@pytest.fixture
def emulator(svc_clock: ManualClock) -> Iterator[WeChatPayEmulator]:
    with WeChatPayEmulator(svc_clock.now, rng=random.Random(11)) as emu:
        yield emu


def write_merchant(directory: Path, emu: WeChatPayEmulator, **overrides: object) -> WeChatMerchant:
    """The merchant's files as install instructions say: keys 0600, the public key readable."""
    directory.mkdir(parents=True, exist_ok=True)
    m = emu.merchant
    key = directory / "apiclient_key.pem"
    key.write_text(m.private_key_pem, encoding="ascii")
    key.chmod(0o600)
    apiv3 = directory / "apiv3.key"
    apiv3.write_text(m.apiv3_key + "\n", encoding="ascii")
    apiv3.chmod(0o600)
    public = directory / "pub_key.pem"
    public.write_text(emu.platform_public_key_pem, encoding="ascii")
    values: dict[str, object] = {
        "mchid": m.mchid,
        "appid": m.appid,
        "cert_serial_no": m.cert_serial_no,
        "private_key_file": str(key),
        "apiv3_key_file": str(apiv3),
        "platform_public_key_file": str(public),
        "platform_public_key_id": emu.public_key_id,
        "notify_url": "http://127.0.0.1:9" + NOTIFY_PATH,
        "gateway": emu.url,
        "timeout_s": 5.0,
    }
    values.update(overrides)
    return WeChatMerchant.model_validate(values)


@pytest.fixture
def merchant(tmp_path: Path, emulator: WeChatPayEmulator) -> WeChatMerchant:
    return write_merchant(tmp_path / "wechat", emulator)


def build_wechat_app(database_url: str, clock: ManualClock, merchant: WeChatMerchant) -> FastAPI:
    """The services app with ``payment_provider = "wechat"`` (no sweep: tests step)."""
    settings = HubSettings(database_url=database_url, payment_provider="wechat", wechat=merchant)
    return build_channel_app(settings, clock)


def build_channel_app(settings: HubSettings, clock: ManualClock) -> FastAPI:
    """The services app for ``settings`` (its channel built from its files)."""
    database_url = settings.database_url
    app = FastAPI()
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine, DataCipher(parse_key_file(new_key_line())))
    # Behind the terminal credential with one enrolled terminal and its signing
    # key, as tests/hub/services builds its app: orders need a person session.
    app.state.fleet = FleetStub(TokenCache(engine))
    guard = [Depends(current_terminal)]
    app.include_router(api.router, dependencies=guard)
    api.on_startup(app, settings, clock=clock, sweep_interval_s=None, dependencies=guard)
    app.state.test_terminal_id, app.state.test_signing_key = enrol_terminal(
        app, "channel-test", TERMINAL_TOKEN
    )
    return app


@pytest.fixture
def wx_app(svc_db_url: str, svc_clock: ManualClock, merchant: WeChatMerchant) -> FastAPI:
    return build_wechat_app(svc_db_url, svc_clock, merchant)


@pytest.fixture
def wx_ctx(wx_app: FastAPI) -> ServiceContext:
    ctx: ServiceContext = wx_app.state.services
    assert isinstance(ctx.payments.provider, AlertingChannel)
    return ctx


@pytest.fixture
def wx_client(wx_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(wx_app) as client:
        client.headers["Authorization"] = f"Bearer {TERMINAL_TOKEN}"  # the enrolled test terminal
        yield client


def post_to(client: TestClient, path: str = NOTIFY_PATH) -> Callable[[Notification], int]:
    """A notification sender that POSTs to the hub's route through ``client``; for
    Alipay, a 200 whose body is not ``success`` counts as refused (as Alipay reads it)."""

    def send(note: Notification) -> int:
        r = client.post(path, content=note.body, headers=note.headers)
        if path == ALIPAY_NOTIFY_PATH and r.text != "success":
            return 0
        return r.status_code

    return send


@pytest.fixture
def alipay_emulator(svc_clock: ManualClock) -> Iterator[AlipayEmulator]:
    with AlipayEmulator(svc_clock.now, rng=random.Random(13)) as emu:
        yield emu


def write_alipay(directory: Path, emu: AlipayEmulator, **overrides: object) -> AlipayMerchant:
    """The application's files: its private key 0600, Alipay's public key readable."""
    directory.mkdir(parents=True, exist_ok=True)
    key = directory / "app_private_key.pem"
    key.write_text(emu.application.app_private_key_pem, encoding="ascii")
    key.chmod(0o600)
    public = directory / "alipay_public_key.pem"
    public.write_text(emu.alipay_public_key_pem, encoding="ascii")
    values: dict[str, object] = {
        "app_id": emu.application.app_id,
        "app_private_key_file": str(key),
        "alipay_public_key_file": str(public),
        "notify_url": "http://127.0.0.1:9" + ALIPAY_NOTIFY_PATH,
        "gateway": emu.gateway,
        "bill_hosts": ["127.0.0.1"],
        "timeout_s": 5.0,
    }
    values.update(overrides)
    return AlipayMerchant.model_validate(values)


@pytest.fixture
def ali_app(
    tmp_path: Path, svc_db_url: str, svc_clock: ManualClock, alipay_emulator: AlipayEmulator
) -> FastAPI:
    merchant = write_alipay(tmp_path / "alipay", alipay_emulator)
    settings = HubSettings(database_url=svc_db_url, payment_provider="alipay", alipay=merchant)
    return build_channel_app(settings, svc_clock)


@pytest.fixture
def ali_ctx(ali_app: FastAPI) -> ServiceContext:
    ctx: ServiceContext = ali_app.state.services
    assert isinstance(ctx.payments.provider, AlertingChannel)
    return ctx


@pytest.fixture
def ali_client(ali_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(ali_app) as client:
        client.headers["Authorization"] = f"Bearer {TERMINAL_TOKEN}"  # the enrolled test terminal
        yield client

"""Fixtures for the WeChat Pay channel: the emulator on 127.0.0.1 with its own keys,
the merchant's files written as a county would (mode 0600), and a services app
whose channel is built from ``[hub.wechat]`` settings exactly as the hub builds it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.crypto import DataCipher, new_key_line, parse_key_file
from hub.db import Base, make_engine, make_sessionmaker
from hub.merchant_settings import WeChatMerchant
from hub.services import api
from hub.services.clock import ManualClock
from hub.services.context import ServiceContext
from hub.services.payments.alerts import AlertingChannel
from hub.settings import HubSettings
from tools.paypeers.wechat import Notification, WeChatPayEmulator

NOTIFY_PATH = "/api/v1/services/payments/notify/wechat"


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
    app = FastAPI()
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine, DataCipher(parse_key_file(new_key_line())))
    app.include_router(api.router)
    api.on_startup(app, settings, clock=clock, sweep_interval_s=None)
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
        yield client


def post_to(client: TestClient) -> object:
    """A notification sender that POSTs to the hub's route through ``client``."""

    def send(note: Notification) -> int:
        return client.post(NOTIFY_PATH, content=note.body, headers=note.headers).status_code

    return send

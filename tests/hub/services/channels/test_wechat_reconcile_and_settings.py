"""Reconciliation findings become alerts; merchant settings stop the hub with the
key path of a bad value and never show a secret."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from hub.__main__ import main as hub_main
from hub.merchant_settings import WeChatMerchant
from hub.production import refusals
from hub.services.clock import ManualClock
from hub.services.context import ServiceContext
from hub.services.payments.alerts import PaymentAlerts
from hub.services.payments.models import ReconciliationRow
from hub.services.payments.reconciler import DailyReconciler
from hub.services.payments.wechat import merchant_problems
from hub.settings import HubConfigError, HubSettings, load_hub_settings
from tests.hub.services.channels.conftest import build_wechat_app, write_merchant
from tools.paypeers.wechat import WeChatPayEmulator


def test_bill_rows_without_a_local_order_are_alerted_and_recorded(
    wx_ctx: ServiceContext, emulator: WeChatPayEmulator, svc_clock: ManualClock
) -> None:
    wx_ctx.payments.provider.create("HMSTRAY0001", 500, "native", "x")
    emulator.pay("HMSTRAY0001")  # money the hub never recorded
    alerts = PaymentAlerts(wx_ctx.factory, svc_clock)
    reconciler = DailyReconciler(wx_ctx.factory, wx_ctx.payments, alerts, svc_clock, "wechat")
    svc_clock.advance(24 * 3600)  # 2026-11-23 10:00 CST: the bill is not due before 10:30
    assert date(2026, 11, 22) not in reconciler.due_days()
    emulator.faults.error_rate = 1.0
    svc_clock.advance(3600)
    assert reconciler.reconcile_day(date(2026, 11, 22)) is None  # retried next round
    assert [(a.kind, a.subject) for a in alerts.open_alerts()] == [
        ("reconcile_failed", "2026-11-22")
    ]
    emulator.faults.error_rate = 0.0
    found = reconciler.reconcile_day(date(2026, 11, 22))
    assert found is not None and [(m.order_no, m.local_fen, m.bill_fen) for m in found] == [
        ("HMSTRAY0001", 0, 500)
    ]
    assert ("reconcile_missing_local", "HMSTRAY0001") in [
        (a.kind, a.subject) for a in alerts.open_alerts()
    ]
    with wx_ctx.factory() as s:
        row = s.query(ReconciliationRow).one()
        assert row.mismatches == [
            {"order_no": "HMSTRAY0001", "kind": "pay", "local_fen": 0, "bill_fen": 500}
        ]


def test_secret_files_refused_with_their_key_path_never_their_content(
    tmp_path: Path, emulator: WeChatPayEmulator, svc_clock: ManualClock
) -> None:
    merchant = write_merchant(tmp_path / "w", emulator)
    assert merchant_problems(merchant) == []
    Path(merchant.private_key_file).chmod(0o644)
    Path(merchant.apiv3_key_file).write_text("short", encoding="ascii")
    problems = merchant_problems(merchant)
    assert len(problems) == 2
    assert problems[0].startswith("hub.wechat.private_key_file: ") and "0644" in problems[0]
    assert problems[1].startswith("hub.wechat.apiv3_key_file: ") and "32-character" in problems[1]
    assert "short" not in " ".join(problems)
    Path(merchant.private_key_file).unlink()
    with pytest.raises(HubConfigError) as stopped:
        build_wechat_app(f"sqlite:///{tmp_path / 'hub.db'}", svc_clock, merchant)
    assert stopped.value.problems[0].startswith("hub.wechat.private_key_file: ")
    assert emulator.merchant.apiv3_key not in str(stopped.value)


def test_settings_require_the_table_and_one_way_to_verify(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"needs a \[hub.wechat\] table"):
        HubSettings(payment_provider="wechat")
    path = tmp_path / "hub.toml"
    path.write_text(
        '[hub]\npayment_provider = "wechat"\n[hub.wechat]\nmchid = "1900000109"\n'
        'appid = "wxd678efh567hg6787"\ncert_serial_no = "444F4864EA9B3441"\n'
        'private_key_file = "/nonexistent/key.pem"\napiv3_key_file = "/nonexistent/v3"\n'
        'notify_url = "https://hub.lankao.example/api/v1/services/payments/notify/wechat"\n',
        encoding="utf-8",
    )
    with pytest.raises(HubConfigError) as err:
        load_hub_settings(path)
    assert err.value.problems == [
        "hub.wechat: Value error, set platform_public_key_file and platform_public_key_id "
        "(or platform_cert_dir) to verify WeChat Pay's signatures"
    ]


def test_production_refuses_plain_http_and_bad_key_files(
    tmp_path: Path, emulator: WeChatPayEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    merchant = write_merchant(tmp_path / "w", emulator)
    settings = HubSettings(demo_data=False, payment_provider="wechat", wechat=merchant)
    problems = refusals(settings)
    assert f"hub.wechat.gateway must be an https:// address (got {emulator.url})" in problems
    assert any(p.startswith("hub.wechat.notify_url must be an https://") for p in problems)
    # python -m hub (demo mode): the hub stops at start, naming the key path.
    os.chmod(merchant.apiv3_key_file, 0o640)
    config = tmp_path / "hub.toml"
    lines = [f'{k} = "{v}"' for k, v in merchant.model_dump().items() if isinstance(v, str)]
    config.write_text(
        f'[hub]\npayment_provider = "wechat"\ndatabase_url = "sqlite:///{tmp_path}/h.db"\n'
        f'data_key_file = "{tmp_path}/data.key"\n[hub.wechat]\n' + "\n".join(lines) + "\n",
        encoding="utf-8",
    )
    assert hub_main(["--config", str(config), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "hub refuses to start: hub.wechat.apiv3_key_file: " in err and "0640" in err
    assert emulator.merchant.apiv3_key not in err


def test_merchant_model_rejects_half_a_public_key() -> None:
    with pytest.raises(ValueError, match="go together"):
        WeChatMerchant(
            mchid="1900000109",
            appid="wxd678efh567hg6787",
            cert_serial_no="444F4864EA9B3441",
            private_key_file="k",
            apiv3_key_file="v",
            platform_public_key_file="p",
            notify_url="https://h.example/n",
        )

"""The kiosk learns from the real hub whether it may offer 缴费, and keeps the
answer for a start while the hub is away (hub/services/terminal_settings.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from hub.settings import HubSettings
from kiosk.agent.credential import enrol
from kiosk.flows import Flows, HubOffer, OfflineCache
from kiosk.hub_client import HubClient, HubUnavailable
from kiosk.hub_client.models import TerminalSettings
from kiosk.hub_client.models.terminal_settings import PaymentSettings
from tests.hub.conftest import REPO, LiveHub, build_app
from tests.kiosk.flows.conftest import SERVICE_POINT, RealHub, closed_port_url

WHERE = "请到东坝头镇便民服务中心或兰考农商银行柜台缴费"


def test_the_demo_hub_takes_payments(flows: Flows) -> None:
    assert flows.hub_offer.payments_on  # until asked: on (the hub refuses orders itself)
    offer = flows.hub_offer.refresh()
    assert offer.payments.enabled and offer.payments.channel == "sandbox"
    assert flows.hub_offer.pay_elsewhere is None and flows.hub_offer.payments_on
    assert flows.hub_offer.sandbox_channel  # the demo's "phone pays" button has its route


def test_a_real_channel_has_no_demo_phone_button(flows: Flows) -> None:
    """A demo terminal on a hub with WeChat Pay must not offer the sandbox's
    "phone pays" button: its route does not exist there (404)."""
    offer = flows.hub_offer
    real = TerminalSettings(payments=PaymentSettings(enabled=True, channel="wechat"))
    offer._settings = real  # as refresh() keeps it
    assert offer.payments_on and not offer.sandbox_channel


def test_a_hub_without_payments_says_where_to_pay_and_is_remembered(tmp_path: Path) -> None:
    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}",
        secret_key="hub-offer-test-secret-0123456789",
        catalogue_path=str(REPO / "config" / "catalogue.json"),
        payment_provider="none",
        pay_elsewhere_notice=WHERE,
        pay_elsewhere_notice_en="Pay at the township service centre or the bank's counter.",
    )
    kept = OfflineCache(tmp_path / "kept")
    with LiveHub(build_app(settings)) as live:
        enrolling = HubClient(live.url)
        credential = enrol(enrolling, "DEMO-ENROL", "offer-test", {"county": "兰考县"})
        enrolling.close()
        client = HubClient(live.url, token=lambda: credential.token, timeout_s=10.0)
        flows = Flows.over(client, service_point=SERVICE_POINT, offline=kept)
        offer = flows.hub_offer.refresh()
        client.close()
    assert not offer.payments.enabled and offer.payments.channel is None
    where = flows.hub_offer.pay_elsewhere
    assert where is not None and where.zh == WHERE and where.en.startswith("Pay at the township")
    assert not flows.hub_offer.payments_on
    # Started again while the hub is away: the kept answer still turns 缴费 off.
    down = HubClient(closed_port_url(), token=lambda: "token", timeout_s=2.0)
    restarted = Flows.over(down, service_point=SERVICE_POINT, offline=kept)
    assert restarted.hub_offer.refresh().offline
    assert restarted.hub_offer.pay_elsewhere == where
    # With nothing kept, a hub that is away leaves payments as they were (on).
    fresh = Flows.over(down, service_point=SERVICE_POINT, offline=OfflineCache(tmp_path / "new"))
    with pytest.raises(HubUnavailable):
        fresh.hub_offer.refresh()
    assert fresh.hub_offer.payments_on
    down.close()


def test_asked_again_until_the_terminal_has_enrolled(real_hub: RealHub, tmp_path: Path) -> None:
    """A first start: no credential yet, so the kiosk keeps asking in the background."""
    tokens: list[str] = []
    client = HubClient(real_hub.url, token=lambda: tokens[0] if tokens else None, timeout_s=10.0)
    offer = Flows.over(
        client, service_point=SERVICE_POINT, offline=OfflineCache(tmp_path)
    ).hub_offer
    stop = threading.Event()
    learnt: list[TerminalSettings | None] = []
    thread = threading.Thread(target=lambda: learnt.append(offer.refresh_until(stop, 0.05)))
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive() and learnt == []  # not enrolled: still asking
    tokens.append(real_hub.token)  # the agent has enrolled
    thread.join(10)
    assert learnt and learnt[0] is not None and learnt[0].payments.enabled
    client.close()
    stop.set()  # the terminal closes: no more asking, nothing learnt
    down = HubClient(closed_port_url(), token=lambda: "token", timeout_s=2.0)
    assert HubOffer(down).refresh_until(stop, 0.05) is None
    down.close()

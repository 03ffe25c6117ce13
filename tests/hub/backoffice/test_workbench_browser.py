"""The workbench in a real browser (Debian chromium, headless) on a live hub
whose SMS go to the loopback gateway peer: the demo clerk logs in, sees red
and yellow, takes a posted application through 受理, 补正, 补正材料已收到,
审核通过, 办结 and 寄出; the progress query shows every step and the waybill,
the gateway received one signed SMS per change, and the platform peer every
event exactly once, though it refused the first push.

Set ``HUIMIN_SCREENSHOT_DIR`` to keep the workbench screenshot (the README's).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from sqlalchemy import select

from hub.backoffice.demo import DEMO_CLERK
from hub.services.models import ApplicationRow
from hub.settings import HubSettings
from tests.hub.conftest import ADMIN_PASSWORD, LiveHub
from tests.hub.fleet.helpers import enrol
from tests.hub.fleet.test_console_browser import attr, browser, click, text, wait_for
from tools.peers.sms_gateway import SmsGatewayPeer
from tools.peers.upstream import UpstreamPeer

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the fixture, shared with the fleet console's browser test

KEY = "workbench-browser-gateway-key-01"


def test_clerk_takes_an_application_to_the_post_in_a_real_browser(  # noqa: PLR0915 - one clerk's session in a real browser; its steps are the test
    browser: webdriver.Chrome,
    make_settings: Callable[..., HubSettings],
    live_hub_factory: Callable[[HubSettings], LiveHub],
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "sms.key"
    key_file.write_text(KEY + "\n", encoding="utf-8")
    with SmsGatewayPeer(KEY.encode()) as peer, UpstreamPeer(KEY.encode()) as platform:
        platform.log.fail_next = 1
        hub = live_hub_factory(
            make_settings(
                sms_gateway_url=peer.url,
                sms_gateway_key_file=str(key_file),
                upstream_url=platform.url,
                upstream_key_file=str(key_file),
                upstream_interval_s=0.5,
            )
        )
        with hub.app.state.sessionmaker() as s:
            no = s.scalars(
                select(ApplicationRow.acceptance_no).where(
                    ApplicationRow.item_id == "fun_death_benefit",
                    ApplicationRow.delivery_method == "post",
                    ApplicationRow.status == "accepted",
                )
            ).one()

        browser.get(f"{hub.url}/console/login")
        browser.find_element(By.ID, "username").send_keys(DEMO_CLERK)
        browser.find_element(By.ID, "password").send_keys(ADMIN_PASSWORD)
        browser.find_element(By.ID, "login").click()
        wait_for(browser, lambda d: "/console/workbench" in d.current_url, 10, "clerk lands")
        assert browser.find_elements(By.CSS_SELECTOR, 'tr[data-level="red"]')
        assert browser.find_elements(By.CSS_SELECTOR, 'tr[data-level="yellow"]')
        assert "终端总览" not in text(browser, "header nav")  # staff see no fleet
        shots = os.environ.get("HUIMIN_SCREENSHOT_DIR")
        if shots:
            browser.save_screenshot(str(Path(shots) / "workbench.png"))

        row = f'tr[data-application="{no}"]'

        def step(action: str, status: str, **fields: str) -> None:
            for name, value in fields.items():
                browser.find_element(By.ID, f"{name}-{no}").send_keys(value)
            click(browser, f"#act-{no}-{action}", f"{action} button")
            wait_for(
                browser, lambda d: attr(d, row, "data-status") == status, 10, f"{action} → {status}"
            )

        step("accept", "reviewing")
        assert "受理" in text(browser, ".flash")
        step("correct", "correction", reason="死亡证明原件")
        assert "补正中，计时暂停" in text(browser, row)
        step("resume", "reviewing")
        step("approve", "approved")
        assert "邮寄地址：河南省兰考县" in text(browser, row)
        step("grant", "done")
        step("ship", "mailed", waybill="EMS9876543210")
        assert "运单号 EMS9876543210" in text(browser, row)
        # Mailed: the table allows nothing more, so no action is offered.
        browser.get(f"{hub.url}/console/workbench?status=all")
        assert not browser.find_elements(By.CSS_SELECTOR, f"{row} form.act")

        with httpx.Client(base_url=hub.url, timeout=10) as terminal:
            _, auth = enrol(terminal)
            reply = terminal.post(
                "/api/v1/services/query/applications", json={"acceptance_no": no}, headers=auth
            )
        assert reply.status_code == 200, reply.text
        record = reply.json()["records"][0]
        assert record["status_text"] == "已寄出"
        history = record["history"]
        assert [h["status"] for h in history][-6:] == [
            "reviewing", "correction", "reviewing", "approved", "done", "mailed",
        ]  # fmt: skip
        assert (
            "死亡证明原件" in history[-5]["note"] and "运单号EMS9876543210" in history[-1]["note"]
        )

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            mine = [t for t in peer.texts() if no in t]
            if len(mine) == 6:
                break
            time.sleep(0.2)
        assert len(mine) == 6, mine
        assert peer.log.bad_signatures == 0 and peer.log.duplicates == 0
        assert "运单号EMS9876543210" in mine[-1]

        # Upstream: the refused first push was retried (backoff 10 s); each event once.
        hub.app.state.backoffice.pusher.wake()
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            reported = [r for r in platform.log.records.values() if r.get("acceptance_no") == no]
            if len(reported) == 7:
                break
            time.sleep(0.5)
            hub.app.state.backoffice.pusher.wake()
        assert [r["status"] for r in reported] == [
            "accepted", "reviewing", "correction", "reviewing", "approved", "done", "mailed",
        ]  # fmt: skip
        assert platform.log.refused == 1 and platform.log.duplicate_records == 0
        assert platform.log.bad_signatures == 0 and reported[-1]["waybill_no"] == "EMS9876543210"

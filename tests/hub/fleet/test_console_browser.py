"""The console in a real browser (Debian chromium + chromedriver, headless):
log in, watch a simulated terminal go offline and its alert appear without a
page reload, put it in maintenance mode and see the command reach the
terminal's long-poll, acknowledge the alert, find both in the audit log."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from hub.fleet.state import DEMO_AUDITOR
from hub.settings import HubSettings
from tests.hub.conftest import ADMIN_PASSWORD, LiveHub
from tests.hub.fleet.helpers import enrol, heartbeat_body
from tests.tools import require_tool

pytestmark = pytest.mark.browser


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = require_tool("chromium")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1400,1000",
        "--lang=zh-CN",
    ):
        options.add_argument(flag)
    try:
        driver = webdriver.Chrome(service=Service(require_tool("chromedriver")), options=options)
    except WebDriverException as exc:
        pytest.fail(f"chromium did not start: {exc.msg}")
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


class Heartbeats(threading.Thread):
    """A simulated terminal sending heartbeats every 0.3 s until stopped."""

    def __init__(self, url: str, auth: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.url, self.auth = url, auth
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=5) as client:
            for _ in range(400):  # bounded: at most ~2 minutes
                client.post("/api/v1/terminal/heartbeat", json=heartbeat_body(), headers=self.auth)
                if self.stop.wait(0.3):
                    return


def wait_for(
    driver: webdriver.Chrome, condition: Callable[[Any], Any], timeout: float, what: str
) -> Any:
    # The live refresh replaces fragments every few seconds: an element found a
    # moment ago may be stale, so reads go through JavaScript (atomic) and
    # stale/missing elements just mean "try again".
    return WebDriverWait(
        driver,
        timeout,
        poll_frequency=0.2,
        ignored_exceptions=(StaleElementReferenceException, NoSuchElementException),
    ).until(condition, message=what)


def attr(driver: webdriver.Chrome, css: str, name: str) -> str | None:
    value = driver.execute_script(
        "const e = document.querySelector(arguments[0]);"
        " return e ? e.getAttribute(arguments[1]) : null;",
        css,
        name,
    )
    return None if value is None else str(value)


def text(driver: webdriver.Chrome, css: str) -> str:
    value = driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';", css
    )
    return str(value)


def click(driver: webdriver.Chrome, css: str, what: str) -> None:
    def clicked(d: Any) -> bool:
        d.find_element(By.CSS_SELECTOR, css).click()
        return True

    wait_for(driver, clicked, 10, what)


def test_operator_sees_offline_sends_maintenance_acks_alert(  # noqa: PLR0915 - one operator session in a real browser; its steps and their order are the test
    browser: webdriver.Chrome,
    make_settings: Callable[..., HubSettings],
    live_hub_factory: Callable[[HubSettings], LiveHub],
) -> None:
    # Heartbeat interval 1 s: offline after 3 s without one (3 missed heartbeats).
    hub = live_hub_factory(make_settings(heartbeat_interval_s=1))
    with httpx.Client(base_url=hub.url, timeout=10) as terminal:
        terminal_id, auth = enrol(terminal, name="张庄村1号机")
    beats = Heartbeats(hub.url, auth)
    beats.start()

    browser.get(f"{hub.url}/console/")
    assert browser.current_url.endswith("/console/login")
    browser.find_element(By.ID, "username").send_keys("admin")
    browser.find_element(By.ID, "password").send_keys(ADMIN_PASSWORD)
    browser.find_element(By.ID, "login").click()
    wait_for(browser, lambda d: d.current_url.endswith("/console/"), 10, "overview after login")
    row = f'tr[data-terminal="{terminal_id}"]'
    wait_for(
        browser,
        lambda d: attr(d, row, "data-status") == "online",
        10,
        "terminal online",
    )
    assert "在线" in text(browser, row)
    browser.execute_script("window.__notReloaded = true;")

    beats.stop.set()
    beats.join(timeout=10)
    wait_for(
        browser,
        lambda d: attr(d, row, "data-status") == "offline",
        20,
        "terminal shown offline by the live refresh",
    )
    assert "离线" in text(browser, row)
    assert browser.execute_script("return window.__notReloaded === true;"), "page was reloaded"

    browser.get(f"{hub.url}/console/alerts")
    offline = f'tr[data-kind="offline"][data-terminal="{terminal_id}"]'
    wait_for(
        browser, lambda d: d.find_elements(By.CSS_SELECTOR, offline), 15, "offline alert listed"
    )
    assert "终端离线" in text(browser, offline)

    # Maintenance mode: the simulated terminal is waiting in its long-poll.
    result: dict[str, Any] = {}

    def long_poll() -> None:
        reply = httpx.get(
            f"{hub.url}/api/v1/terminal/commands", params={"wait": 25}, headers=auth, timeout=35
        )
        result["commands"] = reply.json()

    poller = threading.Thread(target=long_poll, daemon=True)
    poller.start()
    browser.get(f"{hub.url}/console/terminals/{terminal_id}")
    browser.find_element(By.NAME, "message").send_keys("设备检修，请到窗口办理")
    browser.find_element(By.ID, "cmd-maintenance_on").click()
    wait_for(
        browser, lambda d: "已下发：进入维护模式" in d.page_source, 10, "command queued notice"
    )
    poller.join(timeout=30)
    commands = result.get("commands")
    assert commands and commands[0]["kind"] == "maintenance_on", commands
    assert commands[0]["args"]["message"] == "设备检修，请到窗口办理"
    command_row = f'tr[data-command="{commands[0]["id"]}"]'
    wait_for(
        browser,
        lambda d: (
            d.find_element(By.CSS_SELECTOR, command_row).get_attribute("data-state") == "delivered"
        ),
        10,
        "command shown delivered",
    )
    httpx.post(
        f"{hub.url}/api/v1/terminal/commands/{commands[0]['id']}/ack",
        json={"ok": True, "result": "已进入维护模式"},
        headers=auth,
        timeout=10,
    )
    wait_for(
        browser,
        lambda d: (
            d.find_element(By.CSS_SELECTOR, command_row).get_attribute("data-state") == "done"
        ),
        10,
        "command shown done by the live refresh",
    )

    browser.get(f"{hub.url}/console/alerts")
    click(browser, f"{offline} button.ack", "acknowledge button")
    wait_for(browser, lambda d: "已确认告警" in d.page_source, 10, "ack confirmation")
    assert "admin ·" in text(browser, offline)

    # 三权分立: the system administrator cannot read the audit log; the auditor can.
    browser.get(f"{hub.url}/console/audit")
    assert "权限不足" in browser.page_source
    browser.get(f"{hub.url}/console/account")
    browser.find_element(By.ID, "logout").click()
    wait_for(browser, lambda d: d.current_url.endswith("/console/login"), 10, "logged out")
    browser.find_element(By.ID, "username").send_keys(DEMO_AUDITOR)
    browser.find_element(By.ID, "password").send_keys(ADMIN_PASSWORD)
    browser.find_element(By.ID, "login").click()
    wait_for(browser, lambda d: d.current_url.endswith("/console/audit"), 10, "auditor lands")
    actions = [
        e.get_attribute("data-action")
        for e in browser.find_elements(By.CSS_SELECTOR, "#audit tr[data-action]")
    ]
    assert {"login", "command", "alert_ack"} <= set(actions), actions
    ack_row = browser.find_element(By.CSS_SELECTOR, '#audit tr[data-action="alert_ack"]').text
    assert "admin" in ack_row and f"terminal:{terminal_id}" in ack_row and "ok" in ack_row

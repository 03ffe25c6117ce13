"""Helpers shared by the fleet tests: a simulated terminal and a console login."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pyotp
from fastapi.testclient import TestClient

from hub.fleet.state import DEMO_ENROL_CODE

Client = TestClient | httpx.Client


def enrol(
    client: Client,
    code: str = DEMO_ENROL_CODE,
    name: str = "张庄村1号机",
    county: str = "兰考县",
    town: str = "东坝头镇",
    village: str = "张庄村",
) -> tuple[int, dict[str, str]]:
    """Enrol a terminal; (terminal_id, auth headers)."""
    response = client.post(
        "/api/v1/terminal/enrol",
        json={
            "code": code,
            "name": name,
            "place": {"county": county, "town": town, "village": village},
            "hardware": {"model": "HM-21", "serial": "SN0001"},
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"terminal_id", "token"}
    return body["terminal_id"], {"Authorization": f"Bearer {body['token']}"}


def device(
    name: str, state: str = "online", paper: str = "notsupp", detail: str = ""
) -> dict[str, str]:
    return {
        "device": name,
        "state": state,
        "paper": paper,
        "detail": detail,
        "since": "2026-01-01T00:00:00+00:00",
    }


def heartbeat_body(
    paper: str = "full",
    printer_state: str = "online",
    maintenance: bool = False,
    backlog: int = 0,
) -> dict[str, Any]:
    return {
        "version": "1.2.3",
        "uptime_s": 3600,
        "devices": [
            device("idcard"),
            device("printer", printer_state, paper),
            device("speech"),
        ],
        "disk_free_mb": 12000,
        "memory_rss_mb": 180,
        "journal_backlog": backlog,
        "screen": "attract",
        "session_state": "ATTRACT",
        "maintenance": maintenance,
    }


def login(
    client: Client,
    username: str,
    password: str,
    *,
    new_password: str | None = None,
    totp_secret: str | None = None,
) -> str:
    """Log in through the forms; the session's CSRF token.

    ``new_password`` answers a forced password change, ``totp_secret`` the
    second-factor step (a code made from it now).
    """
    page = client.get("/console/login")
    assert page.status_code == 200, page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    csrf = token.group(1)
    response = client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    while (location := response.headers["location"]).startswith("/console/login/"):
        if location == "/console/login/password":
            assert new_password is not None, "a new password is asked for"
            form = {"new_password": new_password, "confirm": new_password}
        elif location == "/console/login/totp":
            assert totp_secret is not None, "a TOTP code is asked for"
            form = {"code": pyotp.TOTP(totp_secret).now()}
        else:
            raise AssertionError(f"unexpected login step {location}")
        response = client.post(location, data={**form, "csrf_token": csrf}, follow_redirects=False)
        assert response.status_code == 303, response.text
    who = client.get("/console/whoami")
    assert who.status_code == 200, who.text
    return str(who.json()["csrf_token"])

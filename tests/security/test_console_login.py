"""Attack class 4, against a real production-mode hub process: five bad logins
locked the admin for 15 minutes, repeatable forever by anyone; the replies
told which accounts exist, are locked or disabled; any 10-character password
was accepted and the bootstrap password was never forced to change.

Before the fix each test here fails: the owner was locked out with the
attacker, the replies differed ("账号已停用", "…锁定 15 分钟"), the bootstrap
password opened the console directly and a weak password was taken.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pyotp

from tests.security.production_hub import (
    BOOTSTRAP_ADMIN,
    BOOTSTRAP_PASSWORD,
    RunningHub,
    error_text,
    login_csrf,
    post_login,
    production_hub,
)

OWN_PASSWORD = "Own-pass-of-2026"


def _first_login(hub: RunningHub, source: str = "127.0.0.1") -> tuple[str, httpx.Client]:
    """The bootstrap security administrator's first login: new password, TOTP.
    (the TOTP secret, the client holding the session and device cookie)."""
    client = hub.client(source)
    reply = post_login(client, BOOTSTRAP_ADMIN, BOOTSTRAP_PASSWORD)
    assert reply.status_code == 303 and reply.headers["location"] == "/console/login/password"
    csrf = login_csrf(client)
    client.post(
        "/console/login/password",
        data={"new_password": OWN_PASSWORD, "confirm": OWN_PASSWORD, "csrf_token": csrf},
    )
    page = client.get("/console/login/totp-enrol").text
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page)
    assert secret is not None
    done = client.post(
        "/console/login/totp-enrol",
        data={"code": pyotp.TOTP(secret.group(1)).now(), "csrf_token": csrf},
    )
    assert done.status_code == 303 and done.headers["location"] == "/console/operators"
    assert client.get("/console/whoami").status_code == 200
    return secret.group(1), client


def test_an_anonymous_attacker_cannot_lock_the_owner_out(tmp_path: Path) -> None:
    with production_hub(tmp_path) as hub:
        secret, owner = _first_login(hub)
        whoami = owner.get("/console/whoami").json()
        owner.post("/console/logout", data={"csrf_token": whoami["csrf_token"]})
        # The attacker hammers the account from one address, then from twelve more.
        with hub.client("127.0.0.2") as attacker:
            for _ in range(30):
                assert post_login(attacker, BOOTSTRAP_ADMIN, "guess-Password-1").status_code == 401
            # Its own attempts now wait, even with the right password: guessing is slowed.
            assert post_login(attacker, BOOTSTRAP_ADMIN, OWN_PASSWORD).status_code == 401
        for n in range(10, 22):
            with hub.client(f"127.0.0.{n}") as attacker:
                for _ in range(2):
                    post_login(attacker, BOOTSTRAP_ADMIN, "guess-Password-1")
        # Delays, not locks: one address waits at most 15 minutes between guesses, and
        # the account as a whole (many addresses) at most a minute.
        delays = dict(
            hub.sql(
                "SELECT key, (julianday(blocked_until) - julianday(last_failure_at)) * 86400"
                " FROM fleet_login_throttle WHERE blocked_until IS NOT NULL"
            )
        )
        assert 0 < delays[f"pair:{BOOTSTRAP_ADMIN}|127.0.0.2"] <= 15 * 60 + 1
        assert 0 < delays[f"acct:{BOOTSTRAP_ADMIN}"] <= 61
        # The owner's browser (device cookie of its last login) is not held up at all.
        reply = post_login(owner, BOOTSTRAP_ADMIN, OWN_PASSWORD)
        assert reply.status_code == 303 and reply.headers["location"] == "/console/login/totp"
        code = pyotp.TOTP(secret).at(time.time() + 30)
        done = owner.post(
            "/console/login/totp", data={"code": code, "csrf_token": login_csrf(owner)}
        )
        assert done.status_code == 303, done.text
        owner.close()


def test_every_failure_reads_the_same(tmp_path: Path) -> None:
    """Unknown account, wrong password, disabled account and a delayed key:
    the same status and the very same page (the client keeps one CSRF cookie)."""
    with production_hub(tmp_path) as hub:
        _, owner = _first_login(hub)
        owner.close()
        hub.sql(
            "INSERT INTO fleet_operators (username, display_name, role, password_hash, disabled,"
            " created_at, must_change_password, demo_account)"
            " SELECT 'gone', '', 'viewer', password_hash, 1, created_at, 0, 0"
            " FROM fleet_operators WHERE username = ?",
            (BOOTSTRAP_ADMIN,),
        )
        with hub.client("127.0.0.3") as client:
            pages = {
                "unknown account": post_login(client, "nobody-here", "Some-pass-123"),
                "wrong password": post_login(client, BOOTSTRAP_ADMIN, "Wrong-pass-123"),
                "disabled (right password)": post_login(client, "gone", OWN_PASSWORD),
            }
            for _ in range(4):
                post_login(client, "victim", "Wrong-pass-123")
            pages["delayed"] = post_login(client, "victim", "Wrong-pass-123")
        statuses = {why: reply.status_code for why, reply in pages.items()}
        assert set(statuses.values()) == {401}, statuses
        bodies = {reply.text for reply in pages.values()}
        assert len(bodies) == 1, {why: error_text(r.text) for why, r in pages.items()}
        assert "停用" not in bodies.pop() and "锁定" not in error_text(pages["delayed"].text)
        # The auditor's log keeps the real reasons.
        reasons = {r[0] for r in hub.sql("SELECT detail FROM fleet_audit_log")}
        assert {"无此账号", "密码错误", "账号已停用", "尝试过于频繁"} <= reasons


def test_bootstrap_and_weak_passwords_must_be_replaced(tmp_path: Path) -> None:
    with production_hub(tmp_path) as hub, hub.client() as client:
        reply = post_login(client, BOOTSTRAP_ADMIN, BOOTSTRAP_PASSWORD)
        assert reply.headers["location"] == "/console/login/password"
        # Nothing of the console before a new password is set.
        for path in ("/console/whoami", "/console/operators", "/console/audit"):
            assert client.get(path).status_code == 401, path
        csrf = login_csrf(client)
        for weak in (BOOTSTRAP_PASSWORD, "huimin-demo-1", "abcdefghijkl", "Secadmin-1234"):
            refused = client.post(
                "/console/login/password",
                data={"new_password": weak, "confirm": weak, "csrf_token": csrf},
            )
            assert refused.status_code == 400 and error_text(refused.text), weak
        assert client.get("/console/whoami").status_code == 401
        # Administrators bind a second factor before their first session.
        done = client.post(
            "/console/login/password",
            data={"new_password": OWN_PASSWORD, "confirm": OWN_PASSWORD, "csrf_token": csrf},
        )
        assert done.headers["location"] == "/console/login/totp-enrol"
        assert client.get("/console/whoami").status_code == 401

"""The console's login steps on a production-mode hub: the bootstrap security
administrator's forced password change and TOTP enrolment, codes that cannot
be replayed, the password policy, the throttle's growing delays and device
cookie, the demo exemption, the break-glass command and the roles migration."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, text, update

from hub.__main__ import main as hub_main
from hub.crypto import DataKeyError, create_key_file
from hub.fleet import audit_chain
from hub.fleet.clock import utcnow
from hub.fleet.console import throttle, totp
from hub.fleet.console.login import FAILURE
from hub.fleet.console.passwords import password_problem
from hub.fleet.models import AuditEntry, LoginThrottle, Operator
from hub.settings import HubSettings
from tests.hub.conftest import REPO, build_app
from tests.hub.fleet.helpers import login

BOOTSTRAP = "Boot-strap-pass-1"


def production_settings(db: Path, **overrides: object) -> HubSettings:
    key_file = db.parent / "hub-data.key"
    create_key_file(key_file)  # install.sh's job on a real box
    return HubSettings(
        data_key_file=str(key_file),
        database_url=f"sqlite:///{db}",
        secret_key="production-test-secret-0123456789abcdef",
        demo_data=False,
        catalogue_path=str(REPO / "config" / "catalogue.json"),
        bootstrap_admin="secadmin",
        bootstrap_password=BOOTSTRAP,
        public_url="https://hub.test.example",
        payment_provider="none",
    ).model_copy(update=overrides)


@pytest.fixture
def prod_app(tmp_path: Path) -> Iterator[FastAPI]:
    app = build_app(production_settings(tmp_path / "hub.db"))
    yield app
    app.state.engine.dispose()


@pytest.fixture
def prod(prod_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(prod_app) as client:
        yield client


def _csrf(client: TestClient) -> str:
    page = client.get("/console/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def _post_login(client: TestClient, username: str, password: str) -> str:
    """Submit name and password; the redirect's location (or '' on failure)."""
    reply = client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": _csrf(client)},
        follow_redirects=False,
    )
    return reply.headers.get("location", "") if reply.status_code == 303 else ""


def _enrol(client: TestClient) -> str:
    """On the enrolment page: read the secret, confirm with a code; the secret."""
    page = client.get("/console/login/totp-enrol")
    assert page.status_code == 200
    assert re.search(r'<img id="totp-qr" src="data:image/png;base64,', page.text)
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page.text)
    assert secret is not None
    # Reloading shows the same secret (one per step cookie).
    assert secret.group(1) in client.get("/console/login/totp-enrol").text
    wrong = client.post(
        "/console/login/totp-enrol", data={"code": "000000", "csrf_token": _csrf(client)}
    )
    assert wrong.status_code in (400, 303) and client.get("/console/whoami").status_code == 401
    done = client.post(
        "/console/login/totp-enrol",
        data={"code": pyotp.TOTP(secret.group(1)).now(), "csrf_token": _csrf(client)},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    return secret.group(1)


def test_bootstrap_must_set_a_password_then_bind_totp(prod: TestClient) -> None:
    assert _post_login(prod, "secadmin", BOOTSTRAP) == "/console/login/password"
    # Nothing of the console before the new password: no session exists.
    assert prod.get("/console/whoami").status_code == 401
    assert prod.get("/console/operators").status_code == 401
    csrf = _csrf(prod)
    for new, why in (
        ("short-1A", "密码至少 12 位"),
        ("alllowercaseletters", "至少三类"),
        (BOOTSTRAP, "不能使用初始密码或演示密码"),
        ("Secadmin-2026!", "不能包含用户名"),
        ("huimin-demo", "密码至少 12 位"),
    ):
        reply = prod.post(
            "/console/login/password",
            data={"new_password": new, "confirm": new, "csrf_token": csrf},
        )
        assert reply.status_code == 400 and why in reply.text, (new, reply.text[-400:])
    mismatch = prod.post(
        "/console/login/password",
        data={"new_password": "Good-pass-2026", "confirm": "Good-pass-2027", "csrf_token": csrf},
    )
    assert "两次输入的新密码不一致" in mismatch.text
    changed = prod.post(
        "/console/login/password",
        data={"new_password": "Good-pass-2026", "confirm": "Good-pass-2026", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert changed.headers["location"] == "/console/login/totp-enrol"
    assert prod.get("/console/whoami").status_code == 401  # still no session
    _enrol(prod)
    who = prod.get("/console/whoami").json()
    assert who["role"] == "security_admin"
    # The bootstrap password is spent.
    prod.post("/console/logout", data={"csrf_token": who["csrf_token"]})
    assert _post_login(prod, "secadmin", BOOTSTRAP) == ""


def test_a_totp_code_is_not_accepted_twice(prod: TestClient, prod_app: FastAPI) -> None:
    _post_login(prod, "secadmin", BOOTSTRAP)
    csrf = _csrf(prod)
    prod.post(
        "/console/login/password",
        data={"new_password": "Good-pass-2026", "confirm": "Good-pass-2026", "csrf_token": csrf},
    )
    secret = _enrol(prod)
    who = prod.get("/console/whoami").json()
    prod.post("/console/logout", data={"csrf_token": who["csrf_token"]})
    assert _post_login(prod, "secadmin", "Good-pass-2026") == "/console/login/totp"
    # The code that confirmed the enrolment is used up: replaying it fails.
    used = pyotp.TOTP(secret).now()
    replay = prod.post("/console/login/totp", data={"code": used, "csrf_token": _csrf(prod)})
    assert replay.status_code == 401 and FAILURE in replay.text
    assert prod.get("/console/whoami").status_code == 401
    # The next step's code (within the drift window) works, once.
    fresh = pyotp.TOTP(secret).at(time.time() + 30)
    ok = prod.post(
        "/console/login/totp",
        data={"code": fresh, "csrf_token": _csrf(prod)},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/console/operators"
    who = prod.get("/console/whoami").json()
    prod.post("/console/logout", data={"csrf_token": who["csrf_token"]})
    _post_login(prod, "secadmin", "Good-pass-2026")
    again = prod.post("/console/login/totp", data={"code": fresh, "csrf_token": _csrf(prod)})
    assert again.status_code == 401
    with prod_app.state.engine.connect() as conn:
        stored = conn.execute(select(Operator.totp_secret)).scalar_one()
        reasons = conn.execute(
            select(AuditEntry.detail).where(AuditEntry.action == "login_failed")
        ).scalars()
        assert "动态口令错误或已使用" in list(reasons)
    assert stored is not None and secret not in stored  # sealed, not in clear


def _totp_login(client: TestClient, secret: str, at: float) -> int:
    """Password then the TOTP code of time ``at``; the status of the code's reply."""
    assert _post_login(client, "secadmin", "Good-pass-2026") == "/console/login/totp"
    reply = client.post(
        "/console/login/totp",
        data={"code": pyotp.TOTP(secret).at(at), "csrf_token": _csrf(client)},
        follow_redirects=False,
    )
    return reply.status_code


def test_totp_secrets_are_sealed_with_the_data_key_and_survive_both_rotations(
    prod: TestClient, prod_app: FastAPI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Sealed like contact data (the data key, bound to the column), so rotating
    ``secret_key`` leaves every enrolment in place and ``data-key rotate``
    re-seals the secret without the administrator enrolling again."""
    _post_login(prod, "secadmin", BOOTSTRAP)
    prod.post(
        "/console/login/password",
        data={
            "new_password": "Good-pass-2026",
            "confirm": "Good-pass-2026",
            "csrf_token": _csrf(prod),
        },
    )
    secret = _enrol(prod)
    cipher = prod_app.state.data_cipher
    with prod_app.state.engine.connect() as conn:
        stored = conn.execute(select(Operator.totp_secret)).scalar_one()
    assert stored.startswith(f"v1.aes256gcm.{cipher.current.key_id}.")
    assert cipher.open(stored, totp.SEALED_COLUMN) == secret
    with pytest.raises(DataKeyError):
        cipher.open(stored, "svc_applications.contact_phone")  # bound to its column

    # A new secret_key (the README's rotation): the second factor still works.
    rotated = build_app(
        production_settings(tmp_path / "hub.db", secret_key="rotated-secret-0123456789abcdefghij")
    )
    try:
        with TestClient(rotated) as client:
            assert _totp_login(client, secret, time.time() + 30) == 303
            assert client.get("/console/whoami").status_code == 200
    finally:
        rotated.state.engine.dispose()

    # A new data key: the secret is re-sealed with it, and still opens.
    config = tmp_path / "hub.toml"
    config.write_text(
        f'[hub]\ndatabase_url = "sqlite:///{tmp_path / "hub.db"}"\n'
        f'data_key_file = "{tmp_path / "hub-data.key"}"\n',
        encoding="utf-8",
    )
    assert hub_main(["--config", str(config), "data-key", "rotate"]) == 0
    assert "1 rows re-sealed" in capsys.readouterr().out
    with prod_app.state.engine.connect() as conn:
        resealed = conn.execute(select(Operator.totp_secret)).scalar_one()
    assert resealed != stored and not resealed.startswith(f"v1.aes256gcm.{cipher.current.key_id}.")
    # A minute later (the codes of the last two steps are used up).
    with prod_app.state.engine.begin() as conn:
        earlier = pyotp.TOTP(secret).timecode(time.time()) - 2
        conn.execute(update(Operator).values(totp_last_step=earlier))
    again = build_app(production_settings(tmp_path / "hub.db"))
    try:
        with TestClient(again) as client:
            assert _totp_login(client, secret, time.time()) == 303
    finally:
        again.state.engine.dispose()


def test_every_login_failure_and_refusal_is_in_the_audit_chain(
    prod: TestClient, prod_app: FastAPI
) -> None:
    """Whatever step refuses, the auditor finds a row with the real reason, and
    the rows are chained (``audit verify`` finds the chain intact)."""
    stale = prod.post(  # no step cookie: a forged or expired step
        "/console/login/totp", data={"code": "123456", "csrf_token": _csrf(prod)}
    )
    assert stale.url.path == "/console/login"
    assert _post_login(prod, "nobody", "whatever-password") == ""
    assert _post_login(prod, "secadmin", "wrong-password") == ""
    bad_csrf = prod.post(
        "/console/login", data={"username": "secadmin", "password": BOOTSTRAP, "csrf_token": "x"}
    )
    assert bad_csrf.status_code == 403
    assert _post_login(prod, "secadmin", BOOTSTRAP) == "/console/login/password"
    weak = prod.post(
        "/console/login/password",
        data={"new_password": "weak", "confirm": "weak", "csrf_token": _csrf(prod)},
    )
    assert weak.status_code == 400
    prod.post(
        "/console/login/password",
        data={
            "new_password": "Good-pass-2026",
            "confirm": "Good-pass-2026",
            "csrf_token": _csrf(prod),
        },
    )
    prod.get("/console/login/totp-enrol")
    wrong_enrol = prod.post(
        "/console/login/totp-enrol", data={"code": "000000", "csrf_token": _csrf(prod)}
    )
    assert wrong_enrol.status_code == 400
    forged = prod.post("/console/login/totp-enrol", data={"code": "000000", "csrf_token": "x"})
    assert forged.url.path == "/console/login"
    with prod_app.state.engine.connect() as conn:
        rows = conn.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.detail, AuditEntry.result)
            .where(AuditEntry.result != "ok")
            .order_by(AuditEntry.seq)
        ).all()
        verdict = audit_chain.verify(conn)
    assert [(r.actor, r.action, r.detail) for r in rows] == [
        ("?", "login_failed", "动态口令：登录步骤无效或已过期"),
        ("nobody", "login_failed", "无此账号"),
        ("secadmin", "login_failed", "密码错误"),
        ("secadmin", "login_failed", "CSRF 校验失败"),
        ("secadmin", "password_change", "密码至少 12 位"),
        ("secadmin", "login_failed", "绑定动态口令：确认口令错误"),
        ("secadmin", "login_failed", "绑定动态口令：CSRF 校验失败"),
    ], rows
    assert verdict.ok, verdict


def test_security_admin_makes_a_system_admin_who_binds_totp_at_first_login(
    prod: TestClient,
) -> None:
    _post_login(prod, "secadmin", BOOTSTRAP)
    csrf = _csrf(prod)
    prod.post(
        "/console/login/password",
        data={"new_password": "Good-pass-2026", "confirm": "Good-pass-2026", "csrf_token": csrf},
    )
    _enrol(prod)
    token = prod.get("/console/whoami").json()["csrf_token"]
    made = prod.post(
        "/console/operators",
        data={
            "username": "zhang",
            "password": "Temp-pass-0001",
            "role": "system_admin",
            "csrf_token": token,
        },
    )
    assert "已创建账号 zhang" in made.text
    assert prod.get("/console/enrolment").status_code == 403  # not the fleet's administrator
    prod.post("/console/logout", data={"csrf_token": token})
    assert _post_login(prod, "zhang", "Temp-pass-0001") == "/console/login/password"
    prod.post(
        "/console/login/password",
        data={
            "new_password": "Zs-own-pass-99",
            "confirm": "Zs-own-pass-99",
            "csrf_token": _csrf(prod),
        },
    )
    _enrol(prod)
    assert prod.get("/console/enrolment").status_code == 200
    assert prod.get("/console/operators").status_code == 403
    assert prod.get("/console/audit").status_code == 403


def test_demo_accounts_skip_totp_only_in_demo_mode(tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    demo = build_app(
        production_settings(db, demo_data=True, payment_provider="sandbox", bootstrap_admin="admin")
    )
    with TestClient(demo) as client:
        assert "演示模式" in client.get("/console/login").text
        login(client, "admin", BOOTSTRAP)  # no second factor, no forced change
        assert client.get("/console/whoami").json()["role"] == "system_admin"
    demo.state.engine.dispose()
    # The same database as a production hub: the demo account's exemption is gone.
    prod = build_app(production_settings(db, bootstrap_admin="admin"))
    with TestClient(prod) as client:
        assert "演示模式" not in client.get("/console/login").text
        assert _post_login(client, "admin", BOOTSTRAP) == "/console/login/totp-enrol"
    prod.state.engine.dispose()


def test_policy_messages() -> None:
    assert password_problem("Abcdefgh-123") is None
    assert password_problem("abcdefgh1234") == (
        "密码须包含大写字母、小写字母、数字、符号中的至少三类"
    )
    assert password_problem("Abcdefgh-123", "cdef") == "密码不能包含用户名"
    assert password_problem("Abcdefgh-123", "", ("Abcdefgh-123",)) == "不能使用初始密码或演示密码"
    assert password_problem("SET-ME: a one-time password") == "不能使用初始密码或演示密码"
    assert password_problem("Abc-12345") == "密码至少 12 位"


def test_delays_grow_then_stop_at_a_cap() -> None:
    waits = [throttle.delay_after(n, throttle.PAIR) for n in range(1, 20)]
    assert waits[:3] == [None, None, None]
    seconds = [w.total_seconds() for w in waits[3:] if w is not None]
    assert seconds[:4] == [1, 2, 4, 8]
    assert max(seconds) == throttle.PAIR.cap.total_seconds() == 900
    account = throttle.delay_after(40, throttle.ACCOUNT)
    assert account == timedelta(minutes=1)  # many sources on one account: one minute at most


def test_a_known_browser_is_not_held_up_by_attacks_from_elsewhere(prod_app: FastAPI) -> None:
    """Ten sources guessing one account delay it for everyone, except the
    owner's browser that logged in before (its device cookie)."""
    with prod_app.state.sessionmaker() as db, db.begin():
        for n in range(11):
            throttle.record_failure(db, "secadmin", f"192.0.2.{n}")
        assert throttle.throttled(db, "secadmin", "198.51.100.7")
        assert not throttle.throttled(db, "secadmin", "198.51.100.7", known_device=True)
        # The device cookie lifts only the account-wide delay, not a source's own.
        for _ in range(4):
            throttle.record_failure(db, "secadmin", "203.0.113.9", known_device=True)
        assert throttle.throttled(db, "secadmin", "203.0.113.9", known_device=True)
        # An unknown name is throttled exactly alike (no oracle).
        for n in range(11):
            throttle.record_failure(db, "nobody", f"192.0.2.{n}")
        assert throttle.throttled(db, "nobody", "198.51.100.7")


def test_failures_are_forgotten_after_an_hour(prod_app: FastAPI) -> None:
    with prod_app.state.sessionmaker() as db, db.begin():
        for _ in range(4):
            throttle.record_failure(db, "secadmin", "192.0.2.1")
        assert throttle.throttled(db, "secadmin", "192.0.2.1")
        db.execute(
            update(LoginThrottle).values(
                last_failure_at=utcnow() - timedelta(hours=2), blocked_until=None
            )
        )
        throttle.record_failure(db, "secadmin", "192.0.2.1")
        count = db.execute(
            select(LoginThrottle.failures).where(LoginThrottle.key == "pair:secadmin|192.0.2.1")
        ).scalar_one()
        assert count == 1 and not throttle.throttled(db, "secadmin", "192.0.2.1")


def _cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    config = tmp_path / "hub.toml"
    config.write_text(
        "[hub]\n"
        'secret_key = "production-test-secret-0123456789abcdef"\n'
        "demo_data = false\n"
        'payment_provider = "none"\n'
        f'catalogue_path = "{REPO / "config" / "catalogue.json"}"\n'
        f'database_url = "sqlite:///{tmp_path / "hub.db"}"\n',
        encoding="utf-8",
    )
    code = hub_main(["--config", str(config), "operators", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_break_glass_commands(
    prod: TestClient, prod_app: FastAPI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The hub ran once (prod): secadmin exists with its bootstrap password.
    for _ in range(6):
        _post_login(prod, "secadmin", "wrong-password")
    assert _post_login(prod, "secadmin", BOOTSTRAP) == ""  # delayed
    code, out = _cli(tmp_path, capsys, "list")
    assert code == 0 and "secadmin" in out and "delayed until" in out
    code, out = _cli(tmp_path, capsys, "unlock", "secadmin")
    assert code == 0 and "cleared" in out
    assert _post_login(prod, "secadmin", BOOTSTRAP) == "/console/login/password"
    code, out = _cli(tmp_path, capsys, "reset-password", "secadmin")
    one_time = out.strip().splitlines()[-1]
    assert code == 0 and password_problem(one_time) is None
    assert _post_login(prod, "secadmin", BOOTSTRAP) == ""  # the old one is gone
    assert _post_login(prod, "secadmin", one_time) == "/console/login/password"
    code, out = _cli(tmp_path, capsys, "create", "shen", "--role", "auditor")
    assert code == 0 and "created as auditor" in out
    code, _ = _cli(tmp_path, capsys, "create", "shen", "--role", "auditor")
    assert code == 1
    assert _cli(tmp_path, capsys, "unlock", "ghost")[0] == 1
    assert _cli(tmp_path, capsys, "reset-totp")[0] == 2
    with prod_app.state.engine.connect() as conn:
        rows = conn.execute(
            select(AuditEntry.actor, AuditEntry.target, AuditEntry.detail).where(
                AuditEntry.action == "breakglass"
            )
        ).all()
    assert [(r.actor, r.target) for r in rows] == [
        ("主机命令行", "secadmin"),
        ("主机命令行", "secadmin"),
        ("主机命令行", "shen"),
    ]
    assert "重置密码" in rows[1].detail


def test_break_glass_names_are_not_commands_and_the_audit_commands_still_run(
    prod: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``operators create audit`` makes an account called audit (the line used to
    go to the audit-log commands), while ``audit verify`` and ``data-key`` with
    --config anywhere still reach them; the break-glass rows join the chain."""
    code, out = _cli(tmp_path, capsys, "create", "audit", "--role", "auditor")
    assert code == 0 and "created as auditor" in out, out
    assert _cli(tmp_path, capsys, "unlock", "data-key")[0] == 1  # no such account
    config = str(tmp_path / "hub.toml")
    assert hub_main(["--config", config, "audit", "verify"]) == 0
    assert hub_main(["audit", "verify", "--config", config]) == 0
    verdicts = capsys.readouterr().out.splitlines()
    assert len(verdicts) == 2 and all(v.startswith("audit chain intact: ") for v in verdicts)


def test_break_glass_on_a_database_that_needs_the_data_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first command after an upgrade may be the break-glass: it migrates
    with the data key (contact data gets sealed), and without the key it says
    why in one line instead of a traceback, changing nothing."""
    from alembic import command

    from hub.db import make_engine
    from hub.schema import alembic_config

    url = f"sqlite:///{tmp_path / 'hub.db'}"
    engine = make_engine(url)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "e279499a5bce")
        conn.execute(
            text(
                "INSERT INTO svc_applications (acceptance_no, item_id, item_name, person_ref,"
                " id_masked, name_masked, contact_phone, form, delivery_method, status,"
                " promised_days, created_at, updated_at) VALUES ('20261122000001', 'i', 'n', 'r',"
                " 'm', 'm', '13912345678', '{}', 'pickup', 'accepted', 5,"
                " '2026-11-22 00:00:00', '2026-11-22 00:00:00')"
            )
        )
    engine.dispose()
    key_file = tmp_path / "hub-data.key"
    config = tmp_path / "hub.toml"
    config.write_text(
        f'[hub]\ndemo_data = false\npayment_provider = "none"\ndatabase_url = "{url}"\n'
        f'data_key_file = "{key_file}"\n',
        encoding="utf-8",
    )
    assert hub_main(["--config", str(config), "operators", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("operators: the database cannot be migrated: ") and err.count("\n") == 1
    engine = make_engine(url)
    with engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    assert version == "e279499a5bce"
    create_key_file(key_file)
    assert hub_main(["--config", str(config), "operators", "list"]) == 0
    engine = make_engine(url)
    with engine.connect() as conn:
        phone = conn.execute(text("SELECT contact_phone FROM svc_applications")).scalar_one()
    engine.dispose()
    assert phone.startswith("v1.aes256gcm.") and "13912345678" not in phone


def test_admin_accounts_migrate_to_system_admin(tmp_path: Path) -> None:
    """An old single-role hub: its admin runs the fleet afterwards, nothing more."""
    from alembic import command

    from hub.db import make_engine
    from hub.schema import alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "e279499a5bce")
        conn.execute(
            text(
                "INSERT INTO fleet_operators (username, display_name, role, password_hash,"
                " failed_logins, locked_until, disabled, created_at)"
                " VALUES ('old', '', 'admin', 'x', 3, NULL, 0, '2026-01-01 00:00:00')"
            )
        )
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with engine.connect() as conn:
        row = conn.execute(
            select(Operator.role, Operator.must_change_password, Operator.demo_account)
        ).one()
    assert tuple(row) == ("system_admin", False, False)
    engine.dispose()


def test_an_unknown_role_holds_nothing(prod: TestClient, prod_app: FastAPI) -> None:
    """A row with a role the console does not know (e.g. a downgrade's 'admin')
    may open nothing, not even whoami."""
    from tests.hub.fleet.test_authz import World

    with prod_app.state.engine.begin() as conn:
        conn.execute(
            insert(Operator).values(
                username="u_legacy", role="admin", password_hash="x", created_at=utcnow()
            )
        )
    cookie, _ = World(prod_app, prod, {}, {}, {}).session_cookie("legacy")
    prod.cookies.set("huimin_console", cookie, path="/console")
    for path in (
        "/console/whoami",
        "/console/",
        "/console/operators",
        "/console/audit",
        "/console/enrolment",
    ):
        assert prod.get(path).status_code == 403, path

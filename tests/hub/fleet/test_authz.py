"""Authorisation matrix: every console route and terminal API endpoint,
called anonymously, as a terminal and as every operator role. The cases are
generated from the application's route table, and the table below must name
every fleet route, so a new route cannot slip through untested."""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from hub.fleet.clock import utcnow
from hub.fleet.console.roles import (
    ACCOUNTS,
    ADMINISTER,
    AUDIT,
    LOGGED_IN,
    OPERATE,
    ROLES,
    VIEW,
    VIEWER,
    WORK,
    allowed,
)
from hub.fleet.console.security import SESSION_COOKIE, hash_password
from hub.fleet.models import Alert, Announcement, Command, Operator, OperatorSession
from hub.settings import HubSettings
from tests.hub.conftest import REPO, build_app
from tests.hub.fleet.helpers import enrol, heartbeat_body

PUBLIC, TERMINAL = "public", "terminal"
# Console callers: one account per role. What each may do is the roles module's
# permission table; this matrix checks every route against it, both ways.
ROLE_CALLERS = ROLES
CALLERS = ("anonymous", TERMINAL, *ROLE_CALLERS)

# (method, path) → who may call it. Console: the permission; API: terminal.
EXPECTED: dict[tuple[str, str], str] = {
    ("GET", "/console/login"): PUBLIC,
    ("POST", "/console/login"): PUBLIC,
    # The login steps: reachable only with the step cookie a right password gives.
    ("GET", "/console/login/password"): PUBLIC,
    ("POST", "/console/login/password"): PUBLIC,
    ("GET", "/console/login/totp-enrol"): PUBLIC,
    ("POST", "/console/login/totp-enrol"): PUBLIC,
    ("GET", "/console/login/totp"): PUBLIC,
    ("POST", "/console/login/totp"): PUBLIC,
    ("POST", "/console/logout"): LOGGED_IN,
    ("GET", "/console/whoami"): LOGGED_IN,
    ("GET", "/console/account"): LOGGED_IN,
    ("POST", "/console/account/password"): LOGGED_IN,
    ("GET", "/console/"): VIEW,
    ("GET", "/console/fragments/overview"): VIEW,
    ("GET", "/console/alerts"): VIEW,
    ("GET", "/console/fragments/alerts"): VIEW,
    ("POST", "/console/alerts/{alert_id}/ack"): OPERATE,
    ("POST", "/console/alerts/{alert_id}/resolve"): OPERATE,
    ("GET", "/console/terminals/{terminal_id}"): VIEW,
    ("GET", "/console/fragments/terminals/{terminal_id}"): VIEW,
    ("GET", "/console/terminals/{terminal_id}/screenshot.png"): VIEW,
    ("POST", "/console/terminals/{terminal_id}/commands"): OPERATE,
    ("GET", "/console/content"): VIEW,
    ("POST", "/console/content/announcements"): OPERATE,
    ("POST", "/console/content/announcements/{announcement_id}/withdraw"): OPERATE,
    ("POST", "/console/content/catalogue"): OPERATE,
    ("GET", "/console/stats"): VIEW,
    ("GET", "/console/stats.csv"): VIEW,
    ("GET", "/console/notifications"): VIEW,
    ("GET", "/console/payments"): VIEW,
    ("POST", "/console/payments/alerts/{alert_id}/resolve"): OPERATE,
    ("GET", "/console/enrolment"): ADMINISTER,
    ("POST", "/console/enrolment"): ADMINISTER,
    ("POST", "/console/terminals/{terminal_id}/revoke"): ADMINISTER,
    ("GET", "/console/operators"): ACCOUNTS,
    ("POST", "/console/operators"): ACCOUNTS,
    ("POST", "/console/operators/{operator_id}"): ACCOUNTS,
    ("GET", "/console/audit"): AUDIT,
    ("GET", "/console/audit.csv"): AUDIT,
    ("POST", "/api/v1/terminal/enrol"): PUBLIC,
    ("POST", "/api/v1/terminal/heartbeat"): TERMINAL,
    ("GET", "/api/v1/terminal/commands"): TERMINAL,
    ("POST", "/api/v1/terminal/commands/{command_id}/ack"): TERMINAL,
    ("POST", "/api/v1/terminal/screenshot"): TERMINAL,
    ("POST", "/api/v1/terminal/events"): TERMINAL,
    ("POST", "/api/v1/terminal/journal"): TERMINAL,
    ("GET", "/api/v1/terminal/config"): TERMINAL,
    # The back office (hub/fleet/console/workbench_pages.py).
    ("GET", "/console/workbench"): WORK,
    ("POST", "/console/workbench/act"): WORK,
    ("GET", "/console/operators/{operator_id}/scopes"): ACCOUNTS,
    ("POST", "/console/operators/{operator_id}/scopes"): ACCOUNTS,
    ("GET", "/console/supervision"): VIEW,
    ("POST", "/console/notifications/retry"): OPERATE,
    ("POST", "/api/v1/terminal/key"): TERMINAL,
    # Over-the-air updates (issue 18).
    ("GET", "/api/v1/terminal/update"): TERMINAL,
    ("POST", "/api/v1/terminal/update/status"): TERMINAL,
    ("POST", "/api/v1/terminal/logs/{request_id}"): TERMINAL,
    ("GET", "/api/v1/terminal/releases/metadata/{name}"): TERMINAL,
    ("GET", "/api/v1/terminal/releases/targets/{name}"): TERMINAL,
    ("GET", "/console/releases"): VIEW,
    ("POST", "/console/releases/approve"): ADMINISTER,
    ("POST", "/console/rollouts"): ADMINISTER,
    ("GET", "/console/rollouts/{rollout_id}"): VIEW,
    ("POST", "/console/rollouts/{rollout_id}/{action}"): OPERATE,
    ("POST", "/console/windows"): OPERATE,
    ("GET", "/console/terminals/{terminal_id}/logs"): OPERATE,
    ("POST", "/console/terminals/{terminal_id}/logs"): OPERATE,
    ("GET", "/console/logs/{request_id}"): OPERATE,
}
FLEET_PREFIXES = ("/console", "/api/v1/terminal")
# Routes of other parts of the hub, checked by their own tests.
OTHER_PREFIXES = ("/api/v1/services", "/healthz", "/docs", "/redoc", "/openapi.json", "/verify")
# The one-time phone links of signed certificates: the token is the credential
# (tests/hub/services/test_svc_signed_documents.py: once, expired, unknown).
OTHER_PREFIXES += ("/d/",)


def _settings(db: Path) -> HubSettings:
    return HubSettings(
        database_url=f"sqlite:///{db}",
        secret_key="authz-secret-0123456789abcdef",
        catalogue_path=str(REPO / "config" / "catalogue.json"),
        bootstrap_password="authz-admin-password",
        data_key_file=str(db.parent / "hub-data.key"),
    )


def all_routes(app: FastAPI) -> list[tuple[str, set[str]]]:
    """(full path, methods) of every HTTP route, through included routers."""
    found: list[tuple[str, set[str]]] = []
    for context in iter_route_contexts(app.routes):
        methods = getattr(context.original_route, "methods", None)  # None for mounts
        if methods and context.path:
            found.append((context.path, set(methods)))
    return found


def fleet_routes(app: FastAPI) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for path, methods in all_routes(app):
        if path.startswith(FLEET_PREFIXES):
            found.extend((m, path) for m in sorted(methods) if m != "HEAD")
    return found


with tempfile.TemporaryDirectory() as _tmp:
    _ROUTES = fleet_routes(build_app(_settings(Path(_tmp) / "routes.db")))


def test_route_table_is_fully_covered() -> None:
    assert sorted(_ROUTES) == sorted(EXPECTED), "add new fleet routes to EXPECTED"


def test_no_route_outside_known_owners(tmp_path: Path) -> None:
    app = build_app(_settings(tmp_path / "hub.db"))
    paths = {path for path, _ in all_routes(app)}
    unknown = {p for p in paths if not p.startswith(FLEET_PREFIXES + OTHER_PREFIXES)}
    assert not unknown, f"routes nobody's authorisation tests cover: {sorted(unknown)}"


@dataclass
class World:
    app: FastAPI
    client: TestClient
    ids: dict[str, int]
    auth: dict[str, str]
    victim_auth: dict[str, str]

    def session_cookie(self, role: str) -> tuple[str, str]:
        """A fresh console session for the role's account: (cookie, csrf)."""
        from itsdangerous import URLSafeSerializer

        from hub.crypto import session_digest

        session_id, csrf = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        with self.app.state.engine.begin() as conn:
            operator_id = conn.execute(
                select(Operator.id).where(Operator.username == f"u_{role}")
            ).scalar_one()
            conn.execute(
                insert(OperatorSession).values(
                    # The database holds the digest of the secret the cookie carries.
                    id=session_digest(self.app.state.settings, session_id),
                    operator_id=operator_id,
                    csrf_token=csrf,
                    created_at=utcnow(),
                    last_seen_at=utcnow(),
                )
            )
        signer = URLSafeSerializer(self.app.state.settings.secret_key, salt="huimin-console")
        return signer.dumps(session_id), csrf


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    app = build_app(_settings(tmp_path_factory.mktemp("authz") / "hub.db"))
    with TestClient(app) as client:
        terminal_id, auth = enrol(client)
        victim_id, victim_auth = enrol(client, name="待注销")
        client.post("/api/v1/terminal/heartbeat", json=heartbeat_body(paper="out"), headers=auth)
        now = utcnow()
        with app.state.engine.begin() as conn:
            for role in (*ROLE_CALLERS, "target"):
                conn.execute(
                    insert(Operator).values(
                        username=f"u_{role}",
                        role=role if role != "target" else VIEWER,
                        password_hash=hash_password("matrix-password-1"),
                        created_at=now,
                    )
                )
            ids = {
                "terminal_id": terminal_id,
                "victim_id": victim_id,
                "alert_id": conn.execute(select(Alert.id)).scalars().first(),
                "command_id": conn.execute(
                    insert(Command)
                    .values(
                        terminal_id=terminal_id,
                        kind="restart",
                        args_json="{}",
                        state="queued",
                        created_by="t",
                        created_at=now,
                    )
                    .returning(Command.id)
                ).scalar_one(),
                "announcement_id": conn.execute(
                    insert(Announcement)
                    .values(text="测试", scope="", created_by="t", created_at=now)
                    .returning(Announcement.id)
                ).scalar_one(),
                "operator_id": conn.execute(
                    select(Operator.id).where(Operator.username == "u_target")
                ).scalar_one(),
                # Over-the-air updates: ids that need not exist (404 is an answer).
                "rollout_id": 1,
                "action": "pause",
                "request_id": 1,
                "name": "root.json",
            }
        client.post(
            "/api/v1/terminal/screenshot",
            content=b"\x89PNG\r\n\x1a\n0",
            headers={**auth, "Content-Type": "image/png"},
        )
        yield World(app, client, ids, auth, victim_auth)
    app.state.engine.dispose()


FORMS: dict[str, dict[str, str]] = {
    "/console/terminals/{terminal_id}/commands": {"kind": "test_print"},
    "/console/enrolment": {"hours": "1"},
    "/console/operators": {"password": "long-password-1", "role": VIEWER},
    "/console/account/password": {"password": "wrong-password-1"},
    "/console/operators/{operator_id}": {"role": VIEWER},
    "/console/content/announcements": {"text": "矩阵测试"},
    "/console/content/catalogue": {"service_id": "rsi_contribution_query", "enabled": "1"},
    "/console/workbench/act": {"acceptance_no": "20260101000001", "action": "accept"},
    "/console/operators/{operator_id}/scopes": {"scopes": "兰考县民政局"},
    "/console/notifications/retry": {"message_id": "1"},
    "/console/releases/approve": {"version": "1.0.0"},
    "/console/rollouts": {"release_id": "1", "waves": "percent:100"},
    "/console/windows": {
        "scope": "place:兰考县",
        "maintenance_start": "02:00",
        "maintenance_end": "04:00",
    },
    "/console/terminals/{terminal_id}/logs": {"kind": "window", "minutes": "5"},
}


def _request(world: World, method: str, path: str, caller: str, with_csrf: bool = True) -> Any:
    client = world.client
    client.cookies.clear()
    ids = dict(world.ids)
    if path.endswith("/revoke"):
        ids["terminal_id"] = ids["victim_id"]
    url = path.format(**ids)
    headers: dict[str, str] = {}
    data: dict[str, str] = dict(FORMS.get(path, {}))
    if path == "/console/operators":
        data["username"] = "n" + secrets.token_hex(4)
    if caller == TERMINAL:
        headers.update(world.auth)
    elif caller in ROLE_CALLERS:
        cookie, csrf = world.session_cookie(caller)
        client.cookies.set(SESSION_COOKIE, cookie, path="/console")
        if with_csrf:
            data["csrf_token"] = csrf
    if path.startswith("/api/v1/terminal"):
        if path == "/api/v1/terminal/screenshot":
            return client.post(
                url, content=b"\x89PNG\r\n\x1a\n1", headers={**headers, "Content-Type": "image/png"}
            )
        if method == "GET":
            return client.get(
                url, params={"wait": 0} if path.endswith("/commands") else None, headers=headers
            )
        body: dict[str, Any] = {
            "/api/v1/terminal/heartbeat": heartbeat_body(),
            "/api/v1/terminal/events": {"events": []},
            "/api/v1/terminal/journal": {"records": []},
            # An Ed25519 public key (32 bytes, base64url): the terminal's new signing key.
            "/api/v1/terminal/key": {"public_key": "A" * 42 + "E"},
            "/api/v1/terminal/enrol": {
                "code": "DEMO-ENROL",
                "name": "m",
                "place": {"county": "兰考县"},
            },
        }.get(path, {"ok": True, "result": ""})
        return client.post(url, json=body, headers=headers)
    if method == "GET":
        return client.get(url, headers=headers, follow_redirects=False)
    return client.post(url, data=data, headers=headers, follow_redirects=False)


def _allowed(required: str, caller: str) -> bool:
    if required == PUBLIC:
        return True
    if required == TERMINAL:
        return caller == TERMINAL
    return caller in ROLE_CALLERS and allowed(caller, required)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("method", "path"), _ROUTES, ids=[f"{m} {p}" for m, p in _ROUTES])
def test_access_matrix(world: World, method: str, path: str, caller: str) -> None:
    required = EXPECTED[(method, path)]
    reply = _request(world, method, path, caller)
    assert reply.status_code < 500, reply.text[:300]
    if required == PUBLIC:
        return
    if _allowed(required, caller):
        assert reply.status_code not in (401, 403), f"{caller} refused: {reply.text[:300]}"
    else:
        # A console login means nothing to the terminal API (401 there); on the
        # console a lower role gets 403 and no login 401.
        expected = 403 if caller in ROLE_CALLERS and required != TERMINAL else 401
        assert reply.status_code == expected, (
            f"{caller} got {reply.status_code}: {reply.text[:200]}"
        )


@pytest.mark.parametrize(
    "path",
    sorted(
        p
        for m, p in _ROUTES
        if m == "POST" and p.startswith("/console") and EXPECTED[(m, p)] != PUBLIC
    ),
)
def test_console_posts_need_csrf(world: World, path: str) -> None:
    caller = next(role for role in ROLE_CALLERS if allowed(role, EXPECTED[("POST", path)]))
    reply = _request(world, "POST", path, caller, with_csrf=False)
    assert reply.status_code == 403, reply.text[:200]


@pytest.mark.parametrize("caller", ROLE_CALLERS)
def test_every_refusal_is_audited(world: World, caller: str) -> None:
    """Each role is refused somewhere (三权分立: no role holds every permission),
    and each refusal leaves a ``denied`` row naming the caller and the route."""
    refused = [
        (m, p)
        for m, p in _ROUTES
        if p.startswith("/console")
        and EXPECTED[(m, p)] not in (PUBLIC, LOGGED_IN)
        and not allowed(caller, EXPECTED[(m, p)])
    ]
    assert refused, f"{caller} may do everything"
    method, path = refused[0]
    before = _denied_rows(world, caller)
    assert _request(world, method, path, caller).status_code == 403
    rows = _denied_rows(world, caller)
    assert len(rows) == len(before) + 1
    assert rows[-1].startswith(f"{method} /console/")


def _denied_rows(world: World, caller: str) -> list[str]:
    from hub.fleet.models import AuditEntry

    with world.app.state.engine.connect() as conn:
        return list(
            conn.execute(
                select(AuditEntry.target)
                .where(AuditEntry.actor == f"u_{caller}", AuditEntry.action == "denied")
                .order_by(AuditEntry.id)
            ).scalars()
        )


def test_no_role_holds_two_administrations() -> None:
    """三权分立: running the fleet, managing accounts and reading the audit log
    are held by three different roles, and no role holds two of them."""
    for role in ROLE_CALLERS:
        held = [p for p in (ADMINISTER, ACCOUNTS, AUDIT) if allowed(role, p)]
        assert len(held) <= 1, f"{role} holds {held}"
    assert {r for r in ROLE_CALLERS if allowed(r, AUDIT)} == {"auditor"}
    assert {r for r in ROLE_CALLERS if allowed(r, ACCOUNTS)} == {"security_admin"}


def test_no_route_edits_or_deletes_the_audit_log(tmp_path: Path) -> None:
    """The audit log has readers only: no route of the whole hub takes PUT,
    PATCH or DELETE, and no POST route lives under /console/audit."""
    app = build_app(_settings(tmp_path / "hub.db"))
    for path, methods in all_routes(app):
        assert not methods & {"PUT", "PATCH", "DELETE"}, (path, methods)
        if path.startswith("/console/audit"):
            assert methods <= {"GET", "HEAD"}, (path, methods)
    app.state.engine.dispose()

"""Per-application fleet state (no module globals): the database handles,
the terminal token cache, the command bus, the alert webhook and the
background sweep that raises ``offline`` alerts.

Installed on ``app.state.fleet`` by :func:`install`; its start/stop hooks are
chained into the application's lifespan.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hub.fleet import audit
from hub.fleet.auth import TokenCache
from hub.fleet.clock import utcnow
from hub.fleet.commands import CommandBus
from hub.fleet.console.roles import AUDITOR, SECURITY_ADMIN, SYSTEM_ADMIN
from hub.fleet.fastpath import HeartbeatFastPath
from hub.fleet.models import EnrolmentCode, Operator
from hub.fleet.webhook import WebhookSender
from hub.settings import HubSettings

log = logging.getLogger(__name__)

# Reusable code seeded in demo mode so `make demo` enrols the embedded terminal.
DEMO_ENROL_CODE = "DEMO-ENROL"
# The demo's security administrator and auditor, beside the bootstrap admin.
DEMO_SECURITY_ADMIN = "security"
DEMO_AUDITOR = "auditor"


class FleetState:
    """Everything the fleet routes share within one hub process."""

    def __init__(
        self, settings: HubSettings, engine: Engine, factory: sessionmaker[Session]
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.sessionmaker = factory
        self.tokens = TokenCache(engine)
        self.bus = CommandBus(engine)
        self.webhook = WebhookSender(settings.webhook_url)
        self.fast_heartbeat = HeartbeatFastPath(engine)
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> None:
        """Seed bootstrap data and start the offline sweep."""
        try:
            self.seed()
        except DBAPIError as exc:
            # Missing tables mean the migrations were not applied; say so and
            # keep serving (the error repeats on every request that needs them).
            log.error("fleet seeding failed (are the migrations applied?): %s", exc)
        self._stop.clear()
        self._sweeper = threading.Thread(target=self._sweep_loop, name="fleet-sweep", daemon=True)
        self._sweeper.start()

    def stop(self) -> None:
        self._stop.set()
        if self._sweeper is not None:
            self._sweeper.join(timeout=5)
        self.webhook.close()
        self.fast_heartbeat.close()

    def seed(self) -> None:
        """Create the bootstrap account (when no operator exists), the demo's
        accounts and the reusable demo enrolment code in demo mode. Safe to race
        between processes.

        Outside demo mode the bootstrap account is a security administrator
        (三权分立: it creates the system administrator and auditor accounts) whose
        password must be replaced at the first login. In demo mode it is the
        system administrator ``admin``, with ``security`` and ``auditor`` beside
        it, all with the published demo password and exempt from the second
        factor (``Operator.demo_account``, honoured only in demo mode).
        """
        s = self.settings
        now = utcnow()
        with self.engine.begin() as conn:
            has_operator = conn.execute(select(func.count()).select_from(Operator)).scalar_one()
            if s.demo_data:
                self._seed_demo_accounts(conn, now)
            elif not has_operator and s.bootstrap_admin and s.bootstrap_password:
                self._add_operator(
                    conn, s.bootstrap_admin, "安全管理员", SECURITY_ADMIN, s.bootstrap_password, now
                )
            if s.demo_data:
                exists = conn.execute(
                    select(EnrolmentCode.code).where(EnrolmentCode.code == DEMO_ENROL_CODE)
                ).first()
                if exists is None:
                    try:
                        with conn.begin_nested():
                            conn.execute(
                                insert(EnrolmentCode).values(
                                    code=DEMO_ENROL_CODE,
                                    created_by="系统",
                                    created_at=now,
                                    reusable=True,
                                    note="演示模式可重复使用的注册码",
                                )
                            )
                    except IntegrityError:
                        pass

    def _seed_demo_accounts(self, conn: Connection, now: datetime) -> None:
        s = self.settings
        if not (s.bootstrap_admin and s.bootstrap_password):
            return
        for username, display, role in (
            (s.bootstrap_admin, "管理员", SYSTEM_ADMIN),
            (DEMO_SECURITY_ADMIN, "安全管理员", SECURITY_ADMIN),
            (DEMO_AUDITOR, "审计管理员", AUDITOR),
        ):
            found = conn.execute(
                select(Operator.id, Operator.demo_account).where(Operator.username == username)
            ).first()
            if found is None:
                self._add_operator(conn, username, display, role, s.bootstrap_password, now, True)
            elif not found.demo_account and username == s.bootstrap_admin:
                # A demo database from before the roles were split: its admin is the demo's.
                conn.execute(
                    update(Operator).where(Operator.id == found.id).values(demo_account=True)
                )

    @staticmethod
    def _add_operator(
        conn: Connection,
        username: str,
        display_name: str,
        role: str,
        password: str,
        now: datetime,
        demo: bool = False,
    ) -> None:
        from hub.fleet.console.passwords import hash_password

        try:
            with conn.begin_nested():
                conn.execute(
                    insert(Operator).values(
                        username=username,
                        display_name=display_name,
                        role=role,
                        password_hash=hash_password(password),
                        created_at=now,
                        must_change_password=not demo,
                        demo_account=demo,
                    )
                )
                audit.record(
                    conn, "系统", "operator_create", username, "演示账号" if demo else "初始账号"
                )
        except IntegrityError:
            pass  # another hub process created it first

    def _sweep_loop(self) -> None:
        from hub.fleet.ingest import sweep_offline

        period = max(0.5, self.settings.heartbeat_interval_s / 3)
        while not self._stop.wait(period):
            try:
                self.send_webhooks(sweep_offline(self.engine, self.settings.heartbeat_interval_s))
            except Exception:  # supervision point: the sweep must outlive a bad round
                log.exception("offline sweep failed")

    # -- helpers used by routes ---------------------------------------------------

    def send_webhooks(self, payloads: list[dict[str, Any]]) -> None:
        for payload in payloads:
            self.webhook.send(payload)

    def audit_system(
        self, action: str, target: str, detail: str, result: str = "ok", client: str = ""
    ) -> None:
        """Audit an action taken by a terminal rather than an operator."""
        with self.engine.begin() as conn:
            audit.record(conn, "终端", action, target, detail, result, client)


async def get_fleet(request: Request) -> FleetState:
    """FastAPI dependency: the fleet state of this application (async: a sync
    dependency would cost a thread hop on the benchmarked heartbeat path)."""
    fleet: FleetState = request.app.state.fleet
    return fleet


def install(app: FastAPI, settings: HubSettings) -> FleetState:
    """Create the fleet state on ``app.state.fleet`` and chain its start/stop
    into the application's lifespan (the existing lifespan still runs)."""
    fleet = FleetState(settings, app.state.engine, app.state.sessionmaker)
    app.state.fleet = fleet
    inner: Callable[[Any], AbstractAsyncContextManager[Any]] = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        fleet.start()
        try:
            async with inner(asgi_app) as value:
                yield value
        finally:
            await fleet.fast_heartbeat.aclose()
            fleet.stop()

    app.router.lifespan_context = lifespan
    return fleet

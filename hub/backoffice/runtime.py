"""The back office inside a hub process: the SMS dispatcher and the
supervision sweep run for the application's lifespan (chained into it, the
existing lifespan still runs), and the terminal's submissions text through
the outbox too.

State on ``app.state.backoffice`` (:class:`BackOffice`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from hub.backoffice import supervision, upstream
from hub.backoffice.sms import (
    HttpSmsGateway,
    OutboxNotifier,
    RecordingGateway,
    SmsDispatcher,
    SmsGateway,
)
from hub.crypto import digest_alg
from hub.services.clock import Clock, db_time
from hub.settings import HubConfigError, HubSettings

log = logging.getLogger(__name__)


@dataclass
class BackOffice:
    """What the workbench and the background loops share in one hub process."""

    factory: sessionmaker[Session]
    clock: Clock
    dispatcher: SmsDispatcher
    yellow_share: float
    interval_s: float
    send_alerts: Callable[[list[dict[str, Any]]], None]
    pusher: upstream.UpstreamPusher | None = None  # None: no upstream configured
    upstream_max_age: timedelta = timedelta(hours=12)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _backlog_alerted: bool = False

    @property
    def sends_for_real(self) -> bool:
        """Whether messages reach phones (an HTTP gateway), or are only recorded."""
        return not isinstance(self.dispatcher.gateway, RecordingGateway)

    def check_deadlines(self) -> int:
        """Raise the 红牌/黄牌 due now; send them to the alert webhook. How many."""
        with self.factory() as session, session.begin():
            payloads = supervision.sweep(session, self.clock.now(), self.yellow_share)
        self.send_alerts(payloads)
        return len(payloads)

    def upstream_backlog(self) -> upstream.Backlog | None:
        """The upstream backlog, or None when no upstream is configured."""
        if self.pusher is None:
            return None
        with self.factory() as session:
            return upstream.backlog(session)

    def check_upstream(self) -> bool:
        """Alert (once, through the webhook) while the oldest unsent record is
        older than the limit; resolve it when the backlog drains. Whether it is late."""
        found = self.upstream_backlog()
        now = self.clock.now()
        age = found.oldest_age(now) if found else None
        late = age is not None and age > self.upstream_max_age
        if late != self._backlog_alerted:
            self._backlog_alerted = late
            hours = 0.0 if age is None else age.total_seconds() / 3600
            self.send_alerts(
                [
                    {
                        "event": "raised" if late else "resolved",
                        "terminal_id": None,
                        "kind": "upstream_backlog",
                        "label": "数据上报积压",
                        "subject": "upstream",
                        "detail": f"最早未上报记录已等待{hours:.1f}小时" if late else "",
                        "at": db_time(now).isoformat() + "Z",
                    }
                ]
            )
        return late

    def start(self) -> None:
        self.dispatcher.start()
        if self.pusher is not None:
            self.pusher.start()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="supervision", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.dispatcher.stop()
        if self.pusher is not None:
            self.pusher.stop()

    def _run(self) -> None:
        while True:
            try:
                self.check_deadlines()
                self.check_upstream()
            except Exception:  # supervision point: the sweep must outlive a bad round
                log.exception("deadline sweep failed")
            if self._stop.wait(self.interval_s):
                return


def _key_of(setting: str, value: str | None) -> bytes:
    assert value is not None  # the settings insist when the URL is set
    path = Path(value)
    try:
        key = path.read_text(encoding="utf-8").strip().encode("utf-8")
    except OSError as exc:
        raise HubConfigError([f"hub.{setting}: cannot read {path}: {exc}"]) from exc
    if len(key) < 16:
        raise HubConfigError([f"hub.{setting}: {path} holds under 16 characters"])
    return key


def gateway_from(settings: HubSettings) -> SmsGateway:
    """The HTTP gateway the settings name, or the recording one."""
    if not settings.sms_gateway_url:
        return RecordingGateway()
    key = _key_of("sms_gateway_key_file", settings.sms_gateway_key_file)
    return HttpSmsGateway(
        settings.sms_gateway_url, key, settings.sms_template_id, digest_alg(settings.crypto)
    )


def setup(app: FastAPI, settings: HubSettings) -> BackOffice:
    """Install the back office on ``app`` (after hub.services and hub.fleet)."""
    services = app.state.services
    fleet = app.state.fleet
    dispatcher = SmsDispatcher(services.factory, gateway_from(settings), services.clock)
    office = BackOffice(
        factory=services.factory,
        clock=services.clock,
        dispatcher=dispatcher,
        yellow_share=settings.deadline_yellow_share,
        interval_s=settings.supervision_interval_s,
        send_alerts=fleet.send_webhooks,
        upstream_max_age=timedelta(hours=settings.upstream_max_age_hours),
    )
    if settings.upstream_url:
        key = _key_of("upstream_key_file", settings.upstream_key_file)
        client = upstream.UpstreamClient(settings.upstream_url, key, digest_alg(settings.crypto))
        # Captured from now on, in the transaction of each event and rating.
        upstream.install_capture(services.factory, services.clock)
        office.pusher = upstream.UpstreamPusher(
            services.factory,
            client,
            services.clock,
            settings.upstream_sender_id,
            settings.upstream_interval_s,
        )
    # The terminal's 受理 SMS joins the outbox (sent, retried, shown like the rest).
    services.notifier = OutboxNotifier(services.factory, services.clock, dispatcher)
    app.state.backoffice = office
    if settings.demo_data:
        from hub.backoffice.demo import seed_demo

        seed_demo(app.state.engine, services.factory, services.clock, settings)
    inner: Callable[[Any], AbstractAsyncContextManager[Any]] = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        office.start()
        try:
            async with inner(asgi_app) as value:
                yield value
        finally:
            office.stop()

    app.router.lifespan_context = lifespan
    return office

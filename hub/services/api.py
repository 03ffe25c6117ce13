"""The citizen-services API: one router under ``/api/v1/services`` (to be put
behind terminal authentication) and the public ``/verify/{code}`` page.

:func:`on_startup` builds the :class:`~hub.services.context.ServiceContext`:
loads and validates the catalogue, seeds it into the database, seeds the demo
citizens when ``demo_data`` is on, and wires the provider, notifier and
payment service. Tests pass their own clock and payment provider.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from sqlalchemy.orm import Session, sessionmaker

from hub.documents import api as signed_documents_api
from hub.documents.archive import DocumentIssuer, build_issuer
from hub.documents.render import RenderError
from hub.documents.signing import SealError
from hub.services import (
    applications_api,
    catalogue_api,
    certificates,
    documents_api,
    person_sessions_api,
    queries_api,
    ratings,
    terminal_settings,
    tickets,
)
from hub.services.catalogue import load_catalogue
from hub.services.catalogue_store import seed_catalogue
from hub.services.clock import Clock, SystemClock
from hub.services.context import ServiceContext
from hub.services.demo_provider import (
    DemoCitizenProvider,
    load_demo_cards,
    resolve_path,
    seed_demo_data,
)
from hub.services.errors import ERROR_RESPONSES, ServiceRoute, install_error_handler
from hub.services.notifier import Notifier, RecordingNotifier
from hub.services.payments import api as payments_api
from hub.services.payments import notify_api
from hub.services.payments.alerts import AlertingChannel, PaymentAlerts
from hub.services.payments.merchant import MerchantSecretError
from hub.services.payments.off import NoPaymentChannel
from hub.services.payments.provider import PaymentProvider
from hub.services.payments.reconciler import DailyReconciler, ReconcilerThread
from hub.services.payments.sandbox import SandboxPaymentProvider
from hub.services.payments.service import PaymentService
from hub.services.payments.sweeper import PaymentSweeper
from hub.services.payments.wechat import load_channel
from hub.services.person_sessions import PersonSessions
from hub.settings import HubConfigError, HubSettings

log = logging.getLogger(__name__)

PREFIX = "/api/v1/services"
SWEEP_INTERVAL_S = 10.0  # stuck orders reach a final state within a poll or two
DEMO_CITIZENS = "config/demo/citizens.json"

router = APIRouter(route_class=ServiceRoute, prefix=PREFIX, responses=ERROR_RESPONSES)
for _module in (
    catalogue_api,
    person_sessions_api,
    queries_api,
    applications_api,
    certificates,
    documents_api,
    ratings,
    tickets,
    terminal_settings,
):
    router.include_router(_module.router)
router.include_router(payments_api.router)
router.include_router(signed_documents_api.router)

# Opened from a phone that scanned a printed certificate: no terminal credential.
public_router = certificates.public_router


def on_startup(
    app: FastAPI,
    settings: HubSettings,
    *,
    clock: Clock | None = None,
    payment_provider: PaymentProvider | None = None,
    notifier: Notifier | None = None,
    sweep_interval_s: float | None = SWEEP_INTERVAL_S,
    dependencies: Sequence[Any] = (),
) -> ServiceContext:
    """Build the service context on ``app.state.services`` and mount ``/verify``.

    The payment provider is ``payment_provider`` (tests) or the one
    ``settings.payment_provider`` names; with the sandbox, its simulated phone
    (``POST /payments/sandbox/pay/{order_no}``) is mounted too, guarded by
    ``dependencies`` like the rest of the service API, and with any other
    provider it does not exist (not even in /openapi.json).

    With ``sweep_interval_s`` set, a :class:`PaymentSweeper` runs for the
    application's lifespan (chained into it, the existing lifespan still runs).

    Raises :class:`hub.services.catalogue.CatalogueError` for a bad catalogue
    file (the hub must not start with one).
    """
    clock = clock or SystemClock()
    factory: sessionmaker[Session] = app.state.sessionmaker
    catalogue = load_catalogue(resolve_path(settings.catalogue_path))
    with factory() as session, session.begin():
        added = seed_catalogue(session, catalogue, clock.now())
    if added:
        log.info("catalogue: %d new items seeded", added)
    if settings.demo_data:
        seeded = seed_demo_data(factory, DEMO_CITIZENS, settings.secret_key, clock)
        if seeded:
            log.info("demo provider: %d citizens seeded", seeded)
    # The demo cards' evidence, as the simulators make it: none without demo data.
    cards = load_demo_cards(DEMO_CITIZENS) if settings.demo_data else None
    citizens = DemoCitizenProvider(factory, cards)
    fleet = getattr(app.state, "fleet", None)
    ctx = ServiceContext(
        catalogue=catalogue,
        clock=clock,
        secret=settings.secret_key,
        factory=factory,
        provider=citizens,
        notifier=notifier or RecordingNotifier(factory, clock),
        payments=PaymentService(
            factory,
            payment_provider or _payment_provider(settings, clock, factory),
            clock,
            catalogue,
            citizens,
            settings.secret_key,
        ),
        sessions=PersonSessions(
            factory,
            citizens,
            clock,
            minutes=settings.person_session_minutes,
            per_hour=settings.person_sessions_per_hour,
            signature_window_s=settings.signature_window_s,
            send_webhooks=fleet.send_webhooks if fleet is not None else None,
        ),
        public_url=settings.public_url,
    )
    ctx.documents = _document_issuer(settings, catalogue.county, clock)
    app.state.services = ctx
    if settings.payment_provider == "sandbox":
        app.include_router(
            payments_api.sandbox_router,
            prefix=PREFIX,
            dependencies=list(dependencies),
            responses=ERROR_RESPONSES,
        )
    install_error_handler(app)
    app.include_router(public_router)
    # Called by the payment channel, not by a terminal: its signature is the credential.
    app.include_router(notify_api.router, prefix=PREFIX)
    app.include_router(signed_documents_api.public_router)
    if sweep_interval_s is not None:
        _run_during_lifespan(app, PaymentSweeper(ctx.payments, sweep_interval_s))
        provider = ctx.payments.provider
        if isinstance(provider, AlertingChannel):
            # A real channel's bill (对账); the sandbox's lives in memory and would
            # disagree after every restart of the demo.
            reconciler = DailyReconciler(
                factory, ctx.payments, provider.alerts, clock, provider.name
            )
            _run_during_lifespan(app, ReconcilerThread(reconciler), "payment_reconciler")
    return ctx


def _document_issuer(settings: HubSettings, county: str, clock: Clock) -> DocumentIssuer | None:
    """Signed certificates (hub/documents): the demo creates its CA at first start.
    Raises :class:`HubConfigError` when the seal or the fonts cannot be used."""
    if not settings.documents.enabled:
        return None
    try:
        return build_issuer(
            settings.documents,
            f"{county}社会保险中心",
            clock,
            Path(__file__).resolve().parents[2],  # hub.toml's paths are relative to the repository
            demo=settings.demo_data,
        )
    except (SealError, RenderError, OSError) as exc:
        raise HubConfigError([f"hub.documents: {exc}"]) from exc


def _payment_provider(
    settings: HubSettings, clock: Clock, factory: sessionmaker[Session]
) -> PaymentProvider:
    """The adapter ``settings.payment_provider`` names (validated in hub.settings).

    Raises :class:`HubConfigError` (key paths, never secrets) when a channel's
    key files are missing, readable by others or malformed.
    """
    if settings.payment_provider == "sandbox":
        return SandboxPaymentProvider(clock)
    if settings.payment_provider == "wechat" and settings.wechat is not None:
        try:
            channel = load_channel(settings.wechat, clock)
        except MerchantSecretError as exc:
            raise HubConfigError(exc.problems) from None
        return AlertingChannel(channel, PaymentAlerts(factory, clock))
    if settings.payment_provider == "alipay" and settings.alipay is not None:
        # Imported only when configured: python-alipay-sdk reconfigures logging
        # (logging.config.dictConfig) when it is imported.
        from hub.services.payments.alipay import load_channel as load_alipay_channel

        try:
            alipay = load_alipay_channel(settings.alipay)
        except MerchantSecretError as exc:
            raise HubConfigError(exc.problems) from None
        return AlertingChannel(alipay, PaymentAlerts(factory, clock))
    if not settings.payments_enabled:
        return NoPaymentChannel()
    # HubSettings rejects names without an adapter; reaching here is a programming error.
    raise ValueError(f"no payment adapter for {settings.payment_provider!r}")


def _run_during_lifespan(
    app: FastAPI, sweeper: PaymentSweeper | ReconcilerThread, name: str = "payment_sweeper"
) -> None:
    inner: Callable[[Any], AbstractAsyncContextManager[Any]] = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        sweeper.start()
        try:
            async with inner(asgi_app) as value:
                yield value
        finally:
            sweeper.stop()

    setattr(app.state, name, sweeper)
    app.router.lifespan_context = lifespan

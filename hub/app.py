"""The hub application factory.

Two capabilities plug in here, each through its package's ``setup(app,
settings)``: ``hub.services`` (catalogue, queries, applications, payments,
ratings, tickets, certificate verification) and ``hub.fleet`` (terminal API
and the operators' console).
"""

from __future__ import annotations

from fastapi import Depends, FastAPI

import hub.fleet
import hub.services
from hub import production, schema
from hub.crypto import digest_alg, load_data_cipher
from hub.db import make_engine, make_sessionmaker
from hub.fleet import audit_chain
from hub.limits import RequestGuard
from hub.settings import HubConfigError, HubSettings


def create_app(settings: HubSettings | None = None) -> FastAPI:
    settings = settings or HubSettings()
    refused = production.refusals(settings)
    if refused:
        raise HubConfigError(refused)
    # The interactive docs are for developers: off outside demo mode, and the
    # schema with them (it maps every route for a visitor; the demo keeps it for
    # the schema-driven tests and tools, and it is in the source anyway).
    demo = settings.demo_data
    app = FastAPI(
        title="Huimin hub",
        version="0.1.0",
        description="惠民 county hub: service gateway for terminals and fleet console.",
        docs_url="/docs" if demo else None,
        redoc_url="/redoc" if demo else None,
        openapi_url="/openapi.json" if demo else None,
    )
    # The data key is read (or, in demo mode, created) before the database is
    # touched: a hub without it refuses to start (hub.crypto.DataKeyError).
    data_cipher = load_data_cipher(settings)
    engine = make_engine(settings.database_url)
    schema.upgrade(engine, data_cipher)
    with engine.begin() as conn:
        audit_chain.set_algorithm(conn, digest_alg(settings.crypto))
    app.state.settings = settings
    app.state.engine = engine
    app.state.data_cipher = data_cipher
    app.state.sessionmaker = make_sessionmaker(engine, data_cipher)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # Citizen records go only to enrolled terminals: every service route
    # needs a valid terminal credential (the certificate check /verify/<code>
    # stays public: anyone holding a printed certificate may verify it).
    from hub.fleet.auth import current_terminal

    hub.fleet.setup(app, settings)
    hub.services.setup(app, settings, dependencies=[Depends(current_terminal)])
    # The back office: SMS outbox, deadline warnings, demo work (hub/backoffice/).
    from hub.backoffice import runtime

    runtime.setup(app, settings)
    # Body caps, the NUL rule and quiet client disconnects, for every route.
    app.add_middleware(RequestGuard)
    return app

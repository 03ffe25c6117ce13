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
from hub.db import make_engine, make_sessionmaker
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
    engine = make_engine(settings.database_url)
    schema.upgrade(engine)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # Citizen records go only to enrolled terminals: every service route
    # needs a valid terminal credential (the certificate check /verify/<code>
    # stays public: anyone holding a printed certificate may verify it).
    from hub.fleet.auth import current_terminal

    hub.fleet.setup(app, settings)
    hub.services.setup(app, settings, dependencies=[Depends(current_terminal)])
    return app

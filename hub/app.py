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
from hub import schema
from hub.db import make_engine, make_sessionmaker
from hub.limits import RequestGuard
from hub.settings import HubSettings


def create_app(settings: HubSettings | None = None) -> FastAPI:
    settings = settings or HubSettings()
    app = FastAPI(
        title="Huimin hub",
        version="0.1.0",
        description="惠民 county hub: service gateway for terminals and fleet console.",
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
    # Body caps, the NUL rule and quiet client disconnects, for every route.
    app.add_middleware(RequestGuard)
    return app

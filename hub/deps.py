"""FastAPI dependencies shared by the hub's routers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from hub.db import session_scope
from hub.settings import HubSettings


def get_db(request: Request) -> Iterator[Session]:
    """A database session for one request, committed when the handler returns
    (rolled back if it raises). Use it as :data:`DbSession`."""
    yield from session_scope(request.app.state.sessionmaker)


DbSession = Annotated[Session, Depends(get_db, scope="function")]
"""The request's session, committed before the answer is sent.

FastAPI runs the code after a dependency's ``yield`` after the response by
default (scope ``"request"``): a caller that asks again at once (an immediate
resubmit with the same idempotency key) could then read the database before
this request's transaction was committed, and a commit that fails would go
unreported after a 2xx. ``scope="function"`` ends the dependency when the
route returns, before the response is sent (FastAPI's "Dependencies with
yield", early exit and scope).
"""


def get_settings(request: Request) -> HubSettings:
    settings: HubSettings = request.app.state.settings
    return settings

"""FastAPI dependencies shared by the hub's routers."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session

from hub.db import session_scope
from hub.settings import HubSettings


def get_db(request: Request) -> Iterator[Session]:
    """A database session for one request, committed when the handler returns."""
    yield from session_scope(request.app.state.sessionmaker)


def get_settings(request: Request) -> HubSettings:
    settings: HubSettings = request.app.state.settings
    return settings

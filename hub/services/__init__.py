"""Citizen services: catalogue and guides, queries, applications, payments,
ratings, queue tickets and certificate verification."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI

from hub.settings import HubSettings


def setup(app: FastAPI, settings: HubSettings, dependencies: Sequence[Any] = ()) -> None:
    """Mount the service API and seed the demo provider when configured.

    ``dependencies`` guard every service route (the app passes the terminal
    credential check: citizen records are for enrolled terminals only).
    """
    from hub.services import api

    app.include_router(api.router, dependencies=list(dependencies))
    api.on_startup(app, settings, dependencies=dependencies)

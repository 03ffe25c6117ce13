"""Citizen services: catalogue and guides, queries, applications, payments,
ratings, queue tickets and certificate verification."""

from __future__ import annotations

from fastapi import FastAPI

from hub.settings import HubSettings


def setup(app: FastAPI, settings: HubSettings) -> None:
    """Mount the service API and seed the demo provider when configured."""
    from hub.services import api

    app.include_router(api.router)
    api.on_startup(app, settings)

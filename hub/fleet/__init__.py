"""Fleet management: the terminal API (enrol, heartbeat, commands, uploads)
and the operators' web console."""

from __future__ import annotations

from fastapi import FastAPI

from hub.settings import HubSettings


def setup(app: FastAPI, settings: HubSettings) -> None:
    """Mount the terminal API and the console."""
    from hub.fleet import console, terminal_api

    app.include_router(terminal_api.router)
    console.mount(app, settings)

"""Fleet management: the terminal API (enrol, heartbeat, commands, uploads)
and the operators' web console.

Public face: :func:`setup`, :func:`hub.fleet.auth.current_terminal` (the
terminal bearer-token dependency) and :data:`hub.fleet.state.DEMO_ENROL_CODE`.

Demo mode (``demo_data = true``): the hub seeds the reusable enrolment code
``DEMO-ENROL`` so ``make demo`` enrols the embedded terminal without an
operator; production hubs (``demo_data = false``) only accept one-time codes
made on the console's 注册码 page. The console is at ``/console/``; its first
account comes from ``bootstrap_admin`` / ``bootstrap_password``: outside demo
mode a security administrator created only while no operator exists, whose
password must be replaced at the first login; in demo mode the system
administrator admin / huimin-demo with the demo's ``security`` and ``auditor``
(see :meth:`hub.fleet.state.FleetState.seed`).
"""

from __future__ import annotations

from fastapi import FastAPI

from hub.settings import HubSettings


def setup(app: FastAPI, settings: HubSettings) -> None:
    """Mount the terminal API and the console."""
    from hub.fleet import console, state, terminal_api

    # The shared fleet state (token cache, command bus, sweeps) must exist
    # before either router serves a request.
    state.install(app, settings)
    app.router.routes.insert(0, terminal_api.heartbeat_route())
    app.include_router(terminal_api.router)
    from hub.fleet import update_api  # over-the-air updates (issue 18)

    app.include_router(update_api.router)
    console.mount(app, settings)

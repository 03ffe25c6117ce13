"""The county hub: the service gateway terminals call, and the operators'
fleet console. One FastAPI application (see :func:`hub.app.create_app`)."""

"""Values the project publishes, so never secrets: the demo's secret key and
passwords (hub/settings.py defaults, config/hub.toml, the README) and the
placeholders of config/hub.production.example.toml. A leaf module: both the
start-up refusals (``hub.production``) and the password policy
(``hub.fleet.console.passwords``) read it.
"""

from __future__ import annotations

DEMO_SECRET_KEYS = frozenset({"dev-secret-change-me"})
DEMO_PASSWORDS = frozenset({"huimin-demo"})
# config/hub.production.example.toml's placeholders all start with this.
PLACEHOLDER_MARK = "SET-ME"


def is_placeholder(value: str) -> bool:
    """Whether ``value`` is one of the example config's placeholders."""
    return value.strip().upper().startswith(PLACEHOLDER_MARK)


def is_demo_password(value: str) -> bool:
    """The demo's published passwords and the example's placeholders."""
    return value in DEMO_PASSWORDS or is_placeholder(value)

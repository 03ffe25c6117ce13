"""``python -m hub --config config/hub.toml``: run the hub standalone.

``python -m hub --config … --check`` only checks the configuration;
``python -m hub --config … operators list|unlock|reset-password|reset-totp|create``
is the break-glass on the hub host (``hub/operators_cli.py``).
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys

import uvicorn

from hub import production
from hub.operators_cli import add_operator_commands, run_operator_command
from hub.settings import HubConfigError, load_hub_settings


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if _command_word(argv) in ("audit", "data-key"):  # hub/trust_cli.py
        from hub.trust_cli import main as trust_main

        return trust_main(argv)
    if _command_word(argv) == "release":  # hub/releases/cli.py
        from hub.releases.cli import main as release_main

        return release_main(argv[argv.index("release") + 1 :])
    parser = argparse.ArgumentParser(prog="python -m hub", description="Huimin county hub")
    parser.add_argument("--config", help="hub TOML file (default: built-in demo settings)")
    parser.add_argument("--host", help="override hub.host")
    parser.add_argument("--port", type=int, help="override hub.port (0 = a free port)")
    parser.add_argument("--database-url", help="override hub.database_url")
    parser.add_argument(
        "--port-file", help="write the port actually bound here once listening (for tests)"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="check the configuration (and the production refusals), then exit",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_operator_commands(commands)
    args = parser.parse_args(argv)
    # The hub's own messages (one line each) to stderr, i.e. the journal under systemd.
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its plugin list at every start
    try:
        settings = load_hub_settings(args.config)
    except HubConfigError as exc:
        print("hub configuration is invalid:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    overrides = {
        k: v
        for k, v in (("host", args.host), ("port", args.port), ("database_url", args.database_url))
        if v is not None
    }
    settings = settings.model_copy(update=overrides)
    if args.command == "operators":
        return run_operator_command(args, settings)
    # Outside demo mode: one line per well-known secret or unsafe setting, naming its key.
    refused = production.refusals(settings)
    for problem in refused:
        print(f"hub refuses to start: {problem}", file=sys.stderr)
    if refused:
        return 2
    if args.check:
        print("hub configuration is valid" + (" (demo mode)" if settings.demo_data else ""))
        return 0
    if settings.demo_data:
        print(
            "hub: demo mode (demo_data = true): demo citizens, DEMO-ENROL, the sandbox and the "
            "published passwords are on; never use it for real people's data",
            file=sys.stderr,
        )

    from hub.app import create_app  # imported after validation: it opens the database
    from hub.crypto import DataKeyError

    try:
        app = create_app(settings)
    except (DataKeyError, HubConfigError) as exc:  # HubConfigError: a payment channel's keys
        for problem in getattr(exc, "problems", [str(exc)]):
            print(f"hub refuses to start: {problem}", file=sys.stderr)
        return 2
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    if args.port_file:
        with open(args.port_file + ".tmp", "w", encoding="ascii") as f:
            f.write(str(sock.getsockname()[1]))
        import os

        os.replace(args.port_file + ".tmp", args.port_file)
    from hub.server import server_options

    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        **server_options(
            header_timeout_s=settings.header_timeout_s,
            body_timeout_s=settings.body_timeout_s,
            keep_alive_timeout_s=settings.keep_alive_timeout_s,
        ),
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    return 0


# The options of either parser that take a value (the value is no command).
_VALUED = ("--config", "--host", "--port", "--database-url", "--port-file")


def _command_word(argv: list[str]) -> str | None:
    """The first word that is neither an option nor an option's value: which
    parser reads the line (``operators unlock audit`` unlocks an account
    called audit, it is no ``audit`` command)."""
    it = iter(argv)
    for arg in it:
        if arg in _VALUED:
            next(it, None)
        elif not arg.startswith("-"):
            return arg
    return None


if __name__ == "__main__":
    sys.exit(main())

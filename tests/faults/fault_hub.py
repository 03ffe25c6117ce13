"""A real hub process for the fault tests: ``hub.app.create_app`` served by
uvicorn, like ``python -m hub``, with three test-only changes:

- protocol time compressed: the sandbox customer pays a payment code after
  0.3 s instead of 4 s, the hub's micropay and QR windows are 2 s and 3 s and
  the provider closes QR orders older than 1 s (WeChat: 5 minutes), and an
  extra sweeper runs every 0.5 s — so orders a killed terminal left open end
  in seconds instead of minutes; the state machine is the production one;
- ``GET /_faults/ledger``: the sandbox provider's ledger (charges and money
  kept per order, and the reconciliation of today's bill against the orders),
  which lives in this process's memory;
- the demo citizens come from ``config/demo/citizens.json`` under the working
  directory when one exists (``hub.services.demo_provider.resolve_path``), so
  a test can seed its own people.

``FAULT_HUB_LOG=debug`` logs everything (DEBUG, access log) to stderr.

Usage: ``python tests/faults/fault_hub.py --config hub.toml --database-url URL
--port-file PATH`` (port 0: a free one, written to PATH once listening).
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

MICROPAY_PAY_AFTER_S = 0.15
MICROPAY_WINDOW = timedelta(seconds=2)
NATIVE_WINDOW = timedelta(seconds=3)
NATIVE_MIN_CLOSE_AGE = timedelta(seconds=1)
SWEEP_S = 0.5


def build(config: str, database_url: str) -> Any:
    """The hub application with compressed payment time and the ledger route."""
    from fastapi import FastAPI
    from sqlalchemy import select

    from hub.app import create_app
    from hub.services.clock import SystemClock, local_date
    from hub.services.payments import sandbox, service
    from hub.services.payments.models import PaymentOrderRow
    from hub.services.payments.provider import Method
    from hub.services.payments.sandbox import Behaviour, SandboxPaymentProvider
    from hub.services.payments.sweeper import PaymentSweeper
    from hub.settings import load_hub_settings

    service.MICROPAY_WINDOW = MICROPAY_WINDOW  # read at call time by create_order
    service.NATIVE_WINDOW = NATIVE_WINDOW
    sandbox.NATIVE_MIN_CLOSE_AGE = NATIVE_MIN_CLOSE_AGE

    def behaviour(method: Method, auth_code: str | None) -> Behaviour:
        fast = sandbox.demo_behaviour(method, auth_code)
        if method == "micropay" and fast.decline is None:
            return Behaviour(pay_after_s=MICROPAY_PAY_AFTER_S)
        return fast

    settings = load_hub_settings(config).model_copy(update={"database_url": database_url})
    app: FastAPI = create_app(settings)
    ctx = app.state.services
    clock = SystemClock()
    provider = SandboxPaymentProvider(clock, behaviour_for=behaviour)
    ctx.payments.provider = provider
    sweeper = PaymentSweeper(ctx.payments, SWEEP_S)
    sweeper.start()

    @app.get("/_faults/ledger", include_in_schema=False)
    def ledger() -> dict[str, Any]:
        with ctx.factory() as s:
            rows = list(s.scalars(select(PaymentOrderRow)))
            orders = {
                r.order_no: {
                    "key": r.idempotency_key,
                    "status": r.status,
                    "amount_fen": r.amount_fen,
                    "payers": [p["person_ref"] for p in r.payers],
                    "charges": provider.charges(r.order_no),
                    "net_fen": provider.net_fen(r.order_no),
                }
                for r in rows
            }
        mismatches = ctx.payments.reconcile(local_date(clock.now()))
        return {"orders": orders, "mismatches": [m.__dict__ for m in mismatches]}

    return app


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    import uvicorn

    # The privacy canary reads everything the hub logs: all of it, access log included.
    debug = os.environ.get("FAULT_HUB_LOG") == "debug"
    if debug:
        logging.basicConfig(level=logging.DEBUG)
    app = build(args.config, args.database_url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    tmp = args.port_file + ".tmp"
    Path(tmp).write_text(str(sock.getsockname()[1]), encoding="ascii")
    os.replace(tmp, args.port_file)
    config = uvicorn.Config(
        app, log_level="debug" if debug else "warning", access_log=debug, log_config=None
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())

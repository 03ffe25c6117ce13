"""Serve an emulated card to pcscd through vsmartcard's vpcd ("inserting" it).

    python -m drivers.sim.vpcd_card --card ss|bank|unknown --citizen KEY [--port 35963]
        [--sw-mode 61xx|6Cxx] [--psam-required] [--contactless] [--omit-record 0C ...]

Starting the process inserts the card into "Virtual PCD 00 00" (port 35963);
stopping it (SIGTERM) removes the card. Prints ``ready`` on stdout once
connected to vpcd; exits 2 when vpcd is not reachable (pcscd not running).

Debian's python3-virtualsmartcard installs its module outside ``sys.path``
(vsmartcard issue #216, smartcards.md), so its directory is added here.
The stock ``VirtualICC`` needs ``pycryptodome`` (the ``Crypto`` namespace).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import socket
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from drivers.sim.cards import BankCardOS, CardOSBase, SocialSecurityCardOS, UnknownCardOS

VIRTUALSMARTCARD_PATHS = (
    "/usr/lib/python3/site-packages/virtualsmartcard",
    "/usr/lib/python3/site-packages",
)
CITIZENS = Path(__file__).resolve().parents[2] / "config" / "demo" / "citizens.json"


def load_citizen(key: str, path: Path = CITIZENS) -> dict[str, str]:
    """The demo citizen ``key`` from citizens.json; KeyError names the known keys."""
    citizens = json.loads(path.read_text(encoding="utf-8"))["citizens"]
    for citizen in citizens:
        if citizen["key"] == key:
            return dict(citizen)
    raise KeyError(f"no demo citizen {key!r}; known: {[c['key'] for c in citizens]}")


def build_card(args: argparse.Namespace) -> CardOSBase:
    if args.card == "unknown":
        return UnknownCardOS(args.sw_mode)
    citizen = load_citizen(args.citizen, Path(args.citizens))
    if args.card == "ss":
        return SocialSecurityCardOS(
            citizen,
            psam_required=args.psam_required,
            sw_mode=args.sw_mode,
            omit_records=[int(record, 16) for record in args.omit_record],
        )
    return BankCardOS(citizen, contactless=args.contactless, sw_mode=args.sw_mode)


def _import_virtualicc() -> Any:
    for path in VIRTUALSMARTCARD_PATHS:
        if path not in sys.path and Path(path, "virtualsmartcard", "VirtualSmartcard.py").exists():
            sys.path.append(path)
    from virtualsmartcard.VirtualSmartcard import VirtualICC

    return VirtualICC


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--card", choices=("ss", "bank", "unknown"), required=True)
    parser.add_argument("--citizen", default="zhang_xiulan")
    parser.add_argument("--citizens", default=str(CITIZENS))
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--port", type=int, default=35963)
    parser.add_argument("--sw-mode", choices=("61xx", "6Cxx"), default=None)
    parser.add_argument("--psam-required", action="store_true")
    parser.add_argument("--contactless", action="store_true")
    parser.add_argument(
        "--omit-record",
        action="append",
        default=[],
        metavar="HEX",
        help="leave this EF06 holder record (e.g. 0C) off the social-security card",
    )
    args = parser.parse_args(argv)

    card = build_card(args)
    # VirtualICC calls sys.exit() (status 0) when it cannot connect; probe first
    # so a missing pcscd is a clear non-zero exit.
    try:
        socket.create_connection((args.host, args.port), timeout=2).close()
    except OSError as exc:
        print(
            f"vpcd not reachable at {args.host}:{args.port} ({exc}); is pcscd running?",
            file=sys.stderr,
        )
        return 2
    virtual_icc = _import_virtualicc()
    # WARNING: VirtualICC logs every response APDU at INFO, which would print card data.
    icc = virtual_icc(None, "iso7816", args.host, args.port, logginglevel=logging.WARNING)
    icc.os = card

    def _terminate(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _terminate)
    print("ready", flush=True)
    try:
        icc.run()
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        icc.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m tools.audit [--out artifacts/audit]``: the accessibility audit.

Renders every screen of every flow in every mode headless, prints the
table and exits 1 if any check failed (0 when all pass).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    parser = argparse.ArgumentParser(prog="python -m tools.audit", description=__doc__)
    parser.add_argument("--out", default="artifacts/audit", help="directory for the PNGs")
    parser.add_argument("--no-png", action="store_true", help="do not write PNGs")
    parser.add_argument(
        "--png-modes", help="comma-separated modes to write PNGs for (default: all)"
    )
    parser.add_argument("--config", help="kiosk TOML (default config/kiosk.toml)")
    parser.add_argument(
        "--window", default="1920x1080", help="window size in px, WxH (ppi comes from config)"
    )
    parser.add_argument(
        "--max-states", type=int, default=120, help="flow states to explore (budget)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    w, _, hgt = args.window.partition("x")

    from tools.audit.report import table
    from tools.audit.run import run_audit

    report = run_audit(
        None if args.no_png else Path(args.out),
        config_path=Path(args.config) if args.config else None,
        window=(int(w), int(hgt)),
        max_states=args.max_states,
        png_modes=args.png_modes.split(",") if args.png_modes else None,
    )
    print(table(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

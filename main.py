"""Huimin terminal: ``python main.py --config config/kiosk.toml [--windowed WxH]``.

Exit status: 0 normal, 2 bad configuration (every problem listed), 3 a
missing system part (e.g. no Chinese font) named with how to install it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from kiosk.config import ConfigError, load_config
from kiosk.privacy import redact


class RedactingFilter(logging.Filter):
    """Masks ID- and card-number-shaped runs in every log line, as a last line of defence."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def parse_size(value: str) -> tuple[int, int]:
    try:
        w, h = value.lower().split("x")
        size = (int(w), int(h))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected WIDTHxHEIGHT, e.g. 1280x800, not {value!r}"
        ) from None
    if min(size) < 320:
        raise argparse.ArgumentTypeError("the window must be at least 320x320")
    return size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="main.py", description="Huimin self-service terminal")
    parser.add_argument(
        "--config", default="config/kiosk.toml", type=Path, help="terminal TOML file"
    )
    parser.add_argument(
        "--windowed", type=parse_size, metavar="WxH", help="run in a window (development)"
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)

    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    logging.basicConfig(
        level=args.log_level,
        handlers=[handler],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"配置文件有误 / invalid configuration ({args.config}):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2

    from kiosk.runtime import Terminal  # after validation: it imports pygame
    from kiosk.ui.fonts import FontMissing
    from kiosk.watchdog import Watchdog
    from screens import SCREENS  # the entry point wires the screens into the terminal

    terminal = Terminal(config, screens=SCREENS, window=args.windowed, config_path=args.config)
    try:
        app = terminal.build()
    except FontMissing as exc:
        print(str(exc), file=sys.stderr)
        terminal.close()
        return 3
    watchdog = Watchdog()
    app.draw()  # the attract screen is up: tell systemd we are ready
    watchdog.ready()
    try:
        app.run_forever(watchdog.ping)
    except KeyboardInterrupt:
        pass
    finally:
        watchdog.stopping()
        terminal.close()
    if app.restart_requested:
        # Operators asked for a restart (or a new config): start afresh in this
        # process slot. Under systemd, Restart=always would do the same.
        logging.getLogger(__name__).info("restarting")
        os.execv(sys.executable, [sys.executable, *sys.argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())

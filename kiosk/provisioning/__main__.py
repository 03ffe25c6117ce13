"""``python -m kiosk.provisioning apply DEVICE | forget | screen`` (the image's units).

- ``apply DEVICE``: provision from a partition or stick (huimin-provision@.service);
  exit 0 when provisioned or still waiting, 1 when the file was refused (the
  reasons are in the journal and on the set-up screen).
- ``forget``: blank the enrolment code once enrolled (huimin-forget-code.service).
- ``screen``: the set-up screen (huimin-setup.service, under cage).
"""

from __future__ import annotations

import argparse
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.provisioning")
    commands = parser.add_subparsers(dest="command", required=True)
    apply = commands.add_parser("apply", help="provision from a labelled partition or stick")
    apply.add_argument("device", help="the block device, e.g. /dev/sdb1")
    commands.add_parser("forget", help="forget the enrolment code once enrolled")
    commands.add_parser("screen", help="show the set-up screen")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    if args.command == "apply":
        from kiosk.provisioning.apply import provision

        return 1 if provision(args.device).state == "invalid" else 0
    if args.command == "forget":
        from kiosk.provisioning.forget import forget_code

        forget_code()
        return 0
    from kiosk.provisioning.screen import run

    return run()


if __name__ == "__main__":
    sys.exit(main())

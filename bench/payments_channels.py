"""1,000 randomized payments against the WeChat Pay emulator (the large run of
``tests/hub/services/channels/test_wechat_random.py``, which runs a few dozen).

``python -m bench.payments_wechat [--runs N]``: exit status 0 when every order
ended final, nobody was charged twice, every paid-but-failed order was given
back and the bills reconciled; the test's own summary line is printed. About
five minutes per channel on a 2-core machine (RSA-2048 signatures both ways on every call).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from bench.common import REPO

TEST = "tests/hub/services/channels/test_channel_random.py"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.payments_channels")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--channel", choices=("wechat", "alipay"), help="only this one")
    args = parser.parse_args(argv)
    only = ["-k", args.channel] if args.channel else []
    env = dict(os.environ, CHANNEL_PAYMENT_RUNS=str(args.runs), PYTHONPATH=str(REPO))
    return subprocess.call(
        [sys.executable, "-m", "pytest", "-q", "-s", "-x", "-p", "no:cacheprovider", *only, TEST],
        cwd=REPO,
        env=env,
    )


if __name__ == "__main__":
    raise SystemExit(main())

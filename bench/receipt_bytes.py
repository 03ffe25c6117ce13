"""Benchmark: Receipt → ESC/POS bytes for a typical receipt with a QR code.

Target: ≤ 20 ms per receipt (median), for both QR modes, after the first
call (which pays the one-time imports of python-escpos, qrcode and Pillow;
reported separately).

    PYTHONPATH=. .venv/bin/python bench/receipt_bytes.py [--runs 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from drivers.printer import render_receipt_bytes
from drivers.sim.sample_receipts import typical_receipt

TARGET_MS = 20.0


def measure(settings: dict[str, object], runs: int) -> tuple[float, list[float], int]:
    receipt = typical_receipt()
    started = time.perf_counter()
    size = len(render_receipt_bytes(receipt, settings))
    first = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        render_receipt_bytes(receipt, settings)
        times.append((time.perf_counter() - started) * 1000)
    return first, times, size


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    ok = True
    for qr in ("image", "native"):
        for width in (80, 58):
            profile = f"generic-{width}mm"
            first, times, size = measure({"qr": qr, "profile": profile}, args.runs)
            median = statistics.median(times)
            ok &= median <= TARGET_MS
            print(
                f"qr={qr:6} {width} mm: median {median:.2f} ms, min {min(times):.2f}, "
                f"max {max(times):.2f} ms over {args.runs} runs; first call {first:.1f} ms; "
                f"{size} bytes"
            )
    print(f"target ≤ {TARGET_MS:.0f} ms median: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

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
from datetime import datetime

from drivers.printer import Receipt, ReceiptTable, render_receipt_bytes

TARGET_MS = 20.0


def typical_receipt() -> Receipt:
    return Receipt(
        title="城乡居民养老保险缴费凭证",
        lines=[
            ("姓名", "张*兰"),
            ("社会保障号码", "4102**********2422"),
            ("缴费年度", "2026"),
            ("缴费金额", "¥300.00"),
            ("办理地点", "河南省兰考县东坝头镇张庄村便民服务站（自助终端 LK-0012）"),
        ],
        tables=[
            ReceiptTable(
                ("月份", "项目", "金额"),
                [
                    ("2026-01", "个人缴费", "300.00"),
                    ("2026-02", "政府补贴（中央及地方财政）", "60.00"),
                ],
            )
        ],
        qr="https://hub.example.cn/v/7F3K9Q2M",
        footer="，。\n本凭证可扫码或凭验证码核验",
        verification_code="7F3K9Q2M",
        created_at=datetime(2026, 11, 22, 10, 30, 5),
    )


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
            first, times, size = measure({"qr": qr, "width_mm": width}, args.runs)
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

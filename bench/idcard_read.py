"""Card-present → IdCard decoded: the full find/select/read over a pty.

Runs the real IdCardReader against the SAM simulator on its own raw pty
pair and prints the median and the min-max of N reads. A pty has no baud
timing: on a real line at 115200 baud the 1295-byte read reply alone adds
~112 ms (specs/idcard-reader.md "Frame"), and the SAM's own card
authentication adds more; this measures the software path.

    PYTHONPATH=. .venv/bin/python bench/idcard_read.py [--reads 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

from drivers.idcard import IdCardReader
from drivers.sim.demo_cards import load_demo_cards
from drivers.sim.idcard_reader import IdCardSimulator


def measure(reads: int) -> list[float]:
    """Milliseconds per read_card() with a demo card on the simulated reader."""
    sim = IdCardSimulator()
    path = sim.start()
    try:
        sim.place(load_demo_cards()[0])
        timings: list[float] = []
        with IdCardReader(path) as reader:
            reader.read_card()  # warm-up: imports, first termios set-up
            for _ in range(reads):
                started = time.perf_counter()
                card = reader.read_card(timeout=3.0)
                timings.append((time.perf_counter() - started) * 1000)
                if card is None:
                    raise RuntimeError("the simulator lost its card")
        return timings
    finally:
        sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=20)
    args = parser.parse_args()
    timings = measure(args.reads)
    print(
        f"idcard_read: card present -> IdCard over pty, {len(timings)} reads: "
        f"median {statistics.median(timings):.2f} ms, "
        f"min-max {min(timings):.2f}-{max(timings):.2f} ms"
    )


if __name__ == "__main__":
    main()

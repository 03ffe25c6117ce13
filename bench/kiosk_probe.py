"""The real terminal (``main.main``) with a hook on its first flip: a child
process of the cold-start and memory benchmarks.

Environment: ``HUIMIN_BENCH_REPORT`` (file to write the JSON report to),
``HUIMIN_BENCH_SETTLE_S`` (keep running this long after the first flip, then
report memory and stop; 0 stops at once). Arguments are main.py's.

Deliberately imports nothing beyond what main.py does (plus ``json``), so the
time to the first flip is the terminal's own.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any


def _pss_kib() -> int:
    with open("/proc/self/smaps_rollup", encoding="ascii") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return -1


def main() -> int:
    report = os.environ["HUIMIN_BENCH_REPORT"]
    settle_s = float(os.environ.get("HUIMIN_BENCH_SETTLE_S", "0"))
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import kiosk.app

    original = kiosk.app.App.draw

    def draw(self: Any) -> None:
        original(self)
        if self.display.frames != 1:
            return
        first: dict[str, Any] = {
            "first_flip": time.perf_counter(),
            "cpu_s": time.process_time(),
            "screen": self.screen.name,
            "size": list(self.surface.get_size()),
        }

        def finish() -> None:
            first["pss_kib"] = _pss_kib()
            first["settled_s"] = settle_s
            with open(report + ".tmp", "w", encoding="utf-8") as f:
                json.dump(first, f)
            os.replace(report + ".tmp", report)
            self.running = False  # main.py then closes the terminal as on any exit

        if settle_s > 0:
            threading.Timer(settle_s, finish).start()
        else:
            finish()

    kiosk.app.App.draw = draw  # type: ignore[method-assign]
    import main as terminal_main

    return terminal_main.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())

"""The health gate's marks: after a switch the new version must draw the
attract screen, open its devices and reach the hub within a time limit
(kiosk/agent/update_boot.py watches). The running terminal sets each mark
once it holds; the supervisor reads the file. Outside a trial the marks are
harmless (nobody reads them)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from kiosk.agent.update_slots import write_atomic

CHECKS = ("attract", "devices", "hub")
CHECK_LABELS = {
    "attract": "attract screen not drawn",
    "devices": "devices not opened",
    "hub": "hub not reached",
}
ENV_HEALTH_FILE = "HUIMIN_HEALTH_FILE"


class HealthMarks:
    """Marks in one small JSON file (``HUIMIN_HEALTH_FILE`` when set)."""

    def __init__(self, path: str | Path | None = None) -> None:
        chosen = path or os.environ.get(ENV_HEALTH_FILE)
        self.path = Path(chosen) if chosen else None

    def mark(self, check: str) -> None:
        """Record that ``check`` (one of :data:`CHECKS`) holds now."""
        if check not in CHECKS:
            raise ValueError(f"unknown health check {check!r}")
        if self.path is None:
            return
        marks = self.read()
        if check in marks:
            return
        marks[check] = time.time()
        write_atomic(self.path, json.dumps(marks).encode())

    def read(self) -> dict[str, float]:
        if self.path is None:
            return {}
        try:
            raw = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return {k: float(v) for k, v in raw.items() if k in CHECKS}

    def missing(self) -> list[str]:
        marks = self.read()
        return [c for c in CHECKS if c not in marks]

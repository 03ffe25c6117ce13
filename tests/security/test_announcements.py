"""Attack 13: announcements without a length cap (a million characters took
0.7 s to wrap on the kiosk's UI thread) whose ``until`` was ignored.

The hub refuses an announcement over the schema's length (protocol.commands);
the kiosk caps whatever reaches it and takes it down at ``until``, timed on the
app loop's clock (a fake clock here)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from protocol.commands import ANNOUNCEMENT_TEXT_MAX
from tests.security.attacked_hub import attacked_hub
from tools.headless import Harness


def test_the_hub_refuses_an_announcement_over_the_cap(tmp_path: Path) -> None:
    with attacked_hub(tmp_path) as hub, hub.client() as c:
        hub.terminal(c)
        csrf = hub.operator(c)
        for size, stored in ((ANNOUNCEMENT_TEXT_MAX + 1, False), (1_000_000, False), (20, True)):
            c.post(
                "/console/content/announcements",
                data={"text": "通" * size, "county": "兰考县", "csrf_token": csrf},
            )
            page = c.get("/console/content")
            assert page.status_code == 200
            shown = re.search(f"通{{{min(size, 20)}}}", page.text) is not None
            assert shown is stored, size


def test_the_kiosk_caps_an_announcement_and_drops_it_at_until() -> None:
    h = Harness()
    try:
        service, terminal = h.app.service, h.app.terminal
        now = service.local_now()
        service.set_announcement("公告" * 500_000, until=now + timedelta(seconds=60))
        h.app.step()
        assert terminal.announcement is not None
        assert len(terminal.announcement) == ANNOUNCEMENT_TEXT_MAX
        h.advance(59)
        h.app.step()
        assert terminal.announcement is not None
        h.advance(2)
        h.app.step()
        assert terminal.announcement is None
        assert all("公告" not in m for m in h.app.screen.messages())  # type: ignore[attr-defined]
        # A naive until is the terminal's local time; one already past is not shown.
        naive_past = datetime.now() - timedelta(minutes=1)
        service.set_announcement("过期公告", until=naive_past)
        h.app.step()
        assert terminal.announcement is None
        # Without until, it stays until replaced.
        service.set_announcement("停电通知")
        h.advance(86_400)
        h.app.step()
        assert terminal.announcement == "停电通知"
    finally:
        h.close()

"""Attack 6: a terminal that enrolled with a 9,000-character ``hardware`` field
made its console page (the only page with the revoke button) answer 500."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, update

from hub.fleet.models import Terminal
from hub.fleet.state import DEMO_ENROL_CODE
from tests.security.attacked_hub import attacked_hub

PLACE = {"county": "兰考县", "town": "东坝头镇", "village": "张庄村"}


def test_oversized_or_odd_hardware_is_refused_at_enrolment(tmp_path: Path) -> None:
    bodies = [
        {"blob": "x" * 9000},  # one long value
        {f"k{i}": "y" * 190 for i in range(40)},  # too many entries
        {"nested": {"deep": ["a", "b"]}},  # not a flat table of facts
    ]
    with attacked_hub(tmp_path) as hub, hub.client() as c:
        for hardware in bodies:
            reply = c.post(
                "/api/v1/terminal/enrol",
                json={"code": DEMO_ENROL_CODE, "name": "x", "place": PLACE, "hardware": hardware},
            )
            assert reply.status_code == 422, (list(hardware)[:2], reply.status_code, reply.text)
        ok = c.post(
            "/api/v1/terminal/enrol",
            json={
                "code": DEMO_ENROL_CODE,
                "name": "正常终端",
                "place": PLACE,
                "hardware": {"model": "HM-21", "serial": "SN0001", "screen_in": 21.5},
            },
        )
        assert ok.status_code == 200, ok.text


def test_terminal_page_opens_whatever_hardware_was_stored(tmp_path: Path) -> None:
    with attacked_hub(tmp_path) as hub, hub.client() as c:
        reply = c.post(
            "/api/v1/terminal/enrol",
            json={"code": DEMO_ENROL_CODE, "name": "旧终端", "place": PLACE},
        )
        terminal_id = reply.json()["terminal_id"]
        # A row written by a hub that cut the JSON at 8,000 characters.
        engine = create_engine(hub.database_url)
        with engine.begin() as conn:
            conn.execute(
                update(Terminal)
                .where(Terminal.id == terminal_id)
                .values(hardware_json='{"blob": "' + "x" * 7990)
            )
        engine.dispose()
        hub.operator(c)
        page = c.get(f"/console/terminals/{terminal_id}")
        assert page.status_code == 200, page.text[:500]
        assert f"/console/terminals/{terminal_id}/revoke" in page.text  # the revoke button

"""Attack 12: NUL characters in text the hub accepts (event keys and the like;
PostgreSQL refuses them with a 500). Refused with 422 everywhere: JSON
bodies, forms, query strings, paths."""

from __future__ import annotations

from pathlib import Path

from tests.security.attacked_hub import attacked_hub


def test_nul_in_any_text_is_422(tmp_path: Path) -> None:
    with attacked_hub(tmp_path) as hub, hub.client() as c:
        auth = hub.terminal(c)
        refused = {
            "event key": c.post(
                "/api/v1/terminal/events",
                json={"events": [{"key": "k\x00", "kind": "session_summary"}]},
                headers=auth,
            ),
            "journal data": c.post(
                "/api/v1/terminal/journal",
                json={"records": [{"key": "j1", "seq": 1, "kind": "x", "data": {"n": "a\x00"}}]},
                headers=auth,
            ),
            "heartbeat": c.post(
                "/api/v1/terminal/heartbeat",
                json={"version": "1\x00", "uptime_s": 1, "devices": []},
                headers=auth,
            ),
            "service body": c.post(
                "/api/v1/services/query/identify", json={"person_session": "\x00"}, headers=auth
            ),
            "query string": c.get("/api/v1/services/catalogue?topic=%00", headers=auth),
            "login form": c.post("/console/login", data={"username": "ad\x00min", "password": "x"}),
        }
        for what, reply in refused.items():
            assert reply.status_code == 422, (what, reply.status_code, reply.text[:200])
        # An escaped backslash before "u0000" is text, not a NUL: accepted.
        fine = c.post(
            "/api/v1/terminal/events",
            json={"events": [{"key": "k1", "kind": "note", "data": {"path": "C:\\u0000"}}]},
            headers=auth,
        )
        assert fine.status_code == 200, fine.text
        assert fine.json()["accepted"] == ["k1"]

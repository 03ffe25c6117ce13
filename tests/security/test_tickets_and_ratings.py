"""Attack class 9: tickets could be drawn at any service point, without limit;
ratings could be posted again and again for one kiosk session, and were sent
directly, so a rating made while the hub was down was lost.

Against a real hub process (``python -m hub``) and the real kiosk parts (the
hub client, the flows, the journal and its outbox): a terminal draws numbers
only at the service point it enrolled at and only so many a minute, and is
told why in plain words; a kiosk session's rating is stored once however often
it comes, and one journaled while the hub is unreachable arrives later.
"""

from __future__ import annotations

import socket
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from kiosk.errors import words_for
from kiosk.flows import Flows, OfflineCache
from kiosk.flows.tickets import TicketRefused
from kiosk.hub_client import HubClient, HubError
from kiosk.i18n import Translator
from kiosk.journal import Journal
from kiosk.outbox import Outbox
from protocol.events import RATING_RECORD, RatingRecord
from tests.security.attacked_hub import AttackedHub, attacked_hub

PER_MINUTE = 3
ZH = Translator("zh_CN")


def enrol_at(c: httpx.Client, name: str, service_point: str | None) -> str:
    """Enrol a terminal (demo code) at ``service_point``; its token."""
    place: dict[str, str] = {"county": "兰考县"}
    if service_point is not None:
        place["service_point"] = service_point
    r = c.post("/api/v1/terminal/enrol", json={"code": "DEMO-ENROL", "name": name, "place": place})
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def kiosk_flows(hub: AttackedHub, token: str, service_point: str, tmp: Path) -> Flows:
    client = HubClient(hub.url, token=lambda: token, timeout_s=10.0)
    return Flows.over(client, service_point=service_point, offline=OfflineCache(tmp))


def rows(hub: AttackedHub, sql: str) -> list[tuple[object, ...]]:
    path = hub.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


def test_tickets_only_at_the_own_service_point_and_rate_limited(tmp_path: Path) -> None:
    extra = f"ticket_limit_per_minute = {PER_MINUTE}\n"
    with attacked_hub(tmp_path, extra=extra) as hub, hub.client() as c:
        zhangzhuang = enrol_at(c, "张庄村1号机", "dbt-zhangzhuang")
        legacy = enrol_at(c, "旧终端", None)  # enrolled without a service point
        # The attack: a terminal of 张庄村 draws from the county hall's queues.
        attacker = kiosk_flows(hub, zhangzhuang, "lk-zwfw", tmp_path / "a")
        for attempt in (attacker.tickets.types, lambda: attacker.tickets.take("A")):
            with pytest.raises(TicketRefused) as refused:
                attempt()
            assert refused.value.status == 403
            assert words_for(refused.value, ZH) == "只能在本服务点取号"
        raw = c.post(
            "/api/v1/services/tickets",
            json={"service_point": "lk-zwfw", "business_type": "A"},
            headers={"Authorization": f"Bearer {zhangzhuang}"},
        )
        assert raw.status_code == 403
        without = kiosk_flows(hub, legacy, "dbt-zhangzhuang", tmp_path / "b")
        with pytest.raises(TicketRefused) as unplaced:
            without.tickets.take("A")
        assert "未登记所在服务点" in words_for(unplaced.value, ZH)
        assert rows(hub, "SELECT COUNT(*) FROM svc_tickets") == [(0,)]
        # At its own point: numbers, up to the limit; then refused in plain words.
        own = kiosk_flows(hub, zhangzhuang, "dbt-zhangzhuang", tmp_path / "c")
        numbers = [own.tickets.take("A").number for _ in range(PER_MINUTE)]
        assert numbers == [f"A{i:03d}" for i in range(1, PER_MINUTE + 1)]
        for _ in range(5):  # a script draining the queue
            with pytest.raises(HubError) as flooded:
                own.tickets.take("A")
            assert flooded.value.status == 429
            assert words_for(flooded.value, ZH) == "取号过于频繁，请稍后再试"
        assert rows(hub, "SELECT COUNT(*) FROM svc_tickets") == [(PER_MINUTE,)]


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_one_rating_per_kiosk_session_through_the_outbox(tmp_path: Path) -> None:
    with attacked_hub(tmp_path) as hub, hub.client() as c:
        token = enrol_at(c, "张庄村1号机", "dbt-zhangzhuang")
        auth = {"Authorization": f"Bearer {token}"}
        session = uuid.uuid4().hex
        journal = Journal(tmp_path / "journal.sqlite")
        # Rated while the hub is unreachable: kept in the journal, not lost.
        rating = RatingRecord(service_id="ticket", level=1, reasons=[], session=session)
        journal.append(RATING_RECORD, rating.model_dump())
        down = HubClient(closed_port_url(), token=lambda: token, timeout_s=2.0)
        assert Outbox(journal, down).flush(timeout=3) is False
        down.close()
        assert rows(hub, "SELECT COUNT(*) FROM svc_ratings") == [(0,)]
        # The attack: the same session rates again, through the journal and directly.
        for level in (5, 4):
            journal.append(
                RATING_RECORD, {**rating.model_dump(), "level": level, "reasons": ["other"]}
            )
        client = HubClient(hub.url, token=lambda: token, timeout_s=10.0)
        assert Outbox(journal, client).flush(timeout=15) is True
        client.close()
        direct = {
            "service_id": "ticket",
            "level": 5,
            "reasons": ["device_fault"],
            "terminal_session_id": session,
            "at": datetime.now(UTC).isoformat(),
        }
        for _ in range(3):
            again = c.post("/api/v1/services/ratings", json=direct, headers=auth)
            assert again.status_code == 200 and again.json()["level_name"] == "非常满意"
        stored = rows(hub, "SELECT level, terminal_session_id FROM svc_ratings")
        assert stored == [(1, session)]  # the first, once
        journaled = rows(hub, "SELECT COUNT(*) FROM fleet_journal WHERE kind = 'rating'")
        assert journaled == [(3,)]  # every record still kept as the terminal's account
        journal.close()

"""Queue tickets and ratings against the real hub (ratings through a real outbox)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from kiosk.errors import words_for
from kiosk.flows import Flows, OfflineCache
from kiosk.flows.api import RATINGS, service_path
from kiosk.flows.tickets import TicketRefused
from kiosk.hub_client import HubClient, HubError
from kiosk.i18n import Translator
from kiosk.journal import Journal
from kiosk.outbox import Outbox
from protocol.events import RATING_RECORD, RatingRecord
from tests.kiosk.flows.conftest import RealHub, closed_port_url


def test_a_ticket_is_taken_and_the_queue_grows(flows: Flows) -> None:
    before = flows.tickets.types()
    assert before.service_point == "dbt-zhangzhuang" and before.types
    letter = before.types[0].code
    ticket = flows.tickets.take(letter)
    assert ticket.number.startswith(letter) and ticket.business_type == letter
    assert ticket.printable.lines and ticket.service_point_name == before.service_point_name
    after = flows.tickets.types()  # read at once: the ticket was committed before its answer
    assert after.types[0].waiting == before.types[0].waiting + 1
    with pytest.raises(HubError) as unknown:
        flows.tickets.take("Z")
    assert unknown.value.status == 404


def test_another_service_points_queue_is_refused_in_plain_words(
    client: HubClient, tmp_path: Path
) -> None:
    elsewhere = Flows.over(client, service_point="cg-huzhai", offline=OfflineCache(tmp_path))
    for attempt in (elsewhere.tickets.types, lambda: elsewhere.tickets.take("A")):
        with pytest.raises(TicketRefused) as refused:
            attempt()
        assert refused.value.status == 403
        assert words_for(refused.value, Translator("zh_CN")) == "只能在本服务点取号"
        assert words_for(refused.value, Translator("en")) == (
            "Queue numbers can only be taken for this service point."
        )


def test_ratings_with_the_fixed_reasons(flows: Flows) -> None:
    reasons = flows.ratings.reasons()
    assert [level.level for level in reasons.levels] == [1, 2, 3, 4, 5]
    assert {r.kind for r in reasons.reasons} == {"good", "bad"}


def _rate_directly(hub: RealHub, session_id: str) -> tuple[int, str]:
    """POST /ratings for ``session_id`` at level 1: (status, level name answered)."""
    body = {
        "service_id": "ticket",
        "level": 1,
        "reasons": [],
        "terminal_session_id": session_id,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    auth = {"Authorization": f"Bearer {hub.token}"}
    response = httpx.post(hub.url + service_path(RATINGS), json=body, headers=auth, timeout=10)
    return response.status_code, str(response.json()["level_name"])


def test_a_rating_made_while_the_hub_is_down_arrives_later_once(
    real_hub: RealHub, client: HubClient, tmp_path: Path
) -> None:
    """The rate screen journals; the outbox delivers, later if the hub is down;
    the hub stores one rating per kiosk session, whatever arrives after."""
    session = uuid.uuid4().hex
    journal = Journal(tmp_path / "journal.sqlite")
    bad = RatingRecord(service_id="ticket", level=5, reasons=["device_fault"], session=session)
    journal.append(RATING_RECORD, bad.model_dump())
    down = HubClient(closed_port_url(), token=lambda: "token", timeout_s=2.0)
    assert Outbox(journal, down).flush(timeout=3) is False
    down.close()
    assert journal.backlog() == 1  # kept while the hub is unreachable
    # Rated again in the same session (a replayed screen): journaled, never stored.
    journal.append(RATING_RECORD, {**bad.model_dump(), "level": 2, "reasons": []})
    assert Outbox(journal, client).flush(timeout=10) is True
    assert journal.backlog() == 0
    # The hub holds the first: asked for the same session, it answers with it.
    assert _rate_directly(real_hub, session) == (200, "非常不满意")
    # A rating the hub cannot accept is journaled and acknowledged, not stored.
    other = uuid.uuid4().hex
    no_reason = RatingRecord(service_id="ticket", level=5, reasons=[], session=other)
    journal.append(RATING_RECORD, no_reason.model_dump())
    assert Outbox(journal, client).flush(timeout=10) is True
    assert _rate_directly(real_hub, other) == (201, "非常满意")
    journal.close()

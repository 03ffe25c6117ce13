"""Queue tickets and ratings against the real hub."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kiosk.flows import Flows
from kiosk.hub_client import HubError


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


def test_ratings_with_the_fixed_reasons(flows: Flows) -> None:
    reasons = flows.ratings.reasons()
    assert [level.level for level in reasons.levels] == [1, 2, 3, 4, 5]
    bad = next(r.code for r in reasons.reasons if r.kind == "bad")
    stored = flows.ratings.rate(service_id="ticket", level=5, reasons=[bad], session_id="s-1")
    assert stored.level_name == reasons.levels[4].name
    with pytest.raises(HubError) as refused:
        flows.ratings.rate(service_id="ticket", level=5, reasons=[], session_id="s-2")
    assert refused.value.status == 400 and "原因" in refused.value.detail
    late = datetime.now(UTC) - timedelta(days=365)
    with pytest.raises(HubError):
        flows.ratings.rate(service_id="general", level=1, reasons=[], session_id="s", at=late)

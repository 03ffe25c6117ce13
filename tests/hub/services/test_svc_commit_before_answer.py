"""A service route's writes are committed before its answer is sent.

FastAPI runs the code after ``yield`` in a dependency after the response by
default, so a caller that asks again at once (an immediate resubmit with the
same idempotency key, the queue it just joined) could read the database
before the first call's transaction was committed: the resubmit got 409
instead of the replay. The ASGI messages and the session's commits are
recorded in the order they happen.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.hub.services.conftest import TERMINAL_TOKEN, S, evidence_of, signed_post

Scope = dict[str, Any]
Message = dict[str, Any]


class Timeline:
    """Commits and response messages of the app, in the order they happened."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.events: list[str] = []

    def _committed(self, session: Session) -> None:
        self.events.append("commit")

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        async def recorded(message: Message) -> None:
            if message["type"].startswith("http.response."):
                self.events.append(message["type"].removeprefix("http.response."))
            await send(message)

        await self.app(scope, receive, recorded)


@pytest.fixture
def timeline(svc_app: FastAPI) -> Iterator[Timeline]:
    recorder = Timeline(svc_app)
    event.listen(Session, "after_commit", recorder._committed)
    try:
        yield recorder
    finally:
        event.remove(Session, "after_commit", recorder._committed)


def committed_before_answer(events: list[str]) -> bool:
    first_sent = events.index("start")
    return "commit" in events[:first_sent] and "commit" not in events[first_sent:]


def test_a_ticket_is_committed_before_its_number_is_sent(timeline: Timeline) -> None:
    with TestClient(timeline) as client:
        client.headers["Authorization"] = f"Bearer {TERMINAL_TOKEN}"
        timeline.events.clear()
        taken = client.post(f"{S}/tickets", json={"service_point": "lk-zwfw", "business_type": "A"})
    assert taken.status_code == 201, taken.text
    assert committed_before_answer(timeline.events), timeline.events


def test_an_application_is_committed_before_its_slip_is_sent(timeline: Timeline) -> None:
    body = {
        "item_id": "rsi_elderly_allowance",
        "form": {"phone": "13812345678", "use_ss_card_account": True},
        "delivery": {"method": "counter", "address": None},
        "consent": True,
        "idempotency_key": "commit-before-answer-1",
    }
    with TestClient(timeline) as client:
        client.headers["Authorization"] = f"Bearer {TERMINAL_TOKEN}"
        opened = signed_post(
            client,
            f"{S}/person-sessions",
            {"evidence": evidence_of("liu_guiying")},
            timeline.app.state.test_signing_key,
            timestamp=int(timeline.app.state.services.clock.now().timestamp()),
        )
        body["person_session"] = opened.json()["person_session"]
        timeline.events.clear()
        accepted = client.post(f"{S}/applications", json=body)
        first = list(timeline.events)
        replayed = client.post(f"{S}/applications", json=body)
    assert accepted.status_code == 201, accepted.text
    assert committed_before_answer(first), first
    assert replayed.json()["acceptance_no"] == accepted.json()["acceptance_no"]


def test_the_check_can_fail() -> None:
    assert committed_before_answer(["commit", "start", "body"])
    assert not committed_before_answer(["start", "body", "commit"])
    assert not committed_before_answer(["start", "body"])

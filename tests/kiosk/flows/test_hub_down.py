"""Every flow, when the hub does not answer, fails as HubUnavailable with the
person's words (and never with a traceback's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kiosk.errors import words_for
from kiosk.flows import Flows
from kiosk.hub_client import HubUnavailable
from kiosk.i18n import Translator
from tests.kiosk.flows.conftest import ZHANG_XIULAN, person

CALLS: dict[str, Callable[[Flows], Any]] = {
    "identify": lambda f: f.queries.identify(person(ZHANG_XIULAN)),
    "records": lambda f: f.queries.records("medical", person(ZHANG_XIULAN)),
    "catalogue": lambda f: f.catalogue.catalogue(),
    "guide": lambda f: f.catalogue.guide("med_resident_pay"),
    "apply": lambda f: f.applications.submit(
        item_id="rsi_elderly_allowance",
        identity=person(ZHANG_XIULAN),
        form={},
        delivery="counter",
        address=None,
        consent=True,
        key="pay-abcdefghijklmnop",
    ),
    "progress": lambda f: f.progress.of_person(person(ZHANG_XIULAN)),
    "certificate": lambda f: f.certificates.insurance(person(ZHANG_XIULAN)),
    "documents": lambda f: f.documents.of_person(person(ZHANG_XIULAN)),
    "tickets": lambda f: f.tickets.types(),
    "take": lambda f: f.tickets.take("A"),
    "reasons": lambda f: f.ratings.reasons(),
    "quote": lambda f: f.payments.quote(person(ZHANG_XIULAN), []),
    "order": lambda f: f.payments.order("HM1"),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_hub_that_is_down_is_unavailable_in_plain_words(hub_down: Flows, name: str) -> None:
    with pytest.raises(HubUnavailable) as down:
        CALLS[name](hub_down)
    assert words_for(down.value, Translator("zh_CN")) == (
        "暂时无法连接服务中心，请稍后再试或联系工作人员"
    )
    assert ZHANG_XIULAN not in str(down.value)  # bodies never reach the error text

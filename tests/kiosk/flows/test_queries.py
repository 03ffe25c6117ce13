"""Queries against the real hub: each kind read as its typed model, and the
hub's refusals as errors with its words."""

from __future__ import annotations

import pytest

from kiosk.flows import Flows
from kiosk.flows.queries import RECORD_KINDS
from kiosk.hub_client import HubError
from kiosk.hub_client.models import Contributions, MedicalInsurance, Pensions, Subsidies
from kiosk.i18n import Translator
from tests.kiosk.flows.conftest import (
    LIU_GUIYING,
    WANG_FANG,
    ZHANG_XIULAN,
    ZHAO_LEI,
    person,
    ss_card,
    valid_unknown_id,
)


def test_identify_by_id_card_and_by_social_security_card(flows: Flows) -> None:
    by_id = flows.queries.identify(person(LIU_GUIYING))
    by_card = flows.queries.identify(ss_card("liu_guiying"))
    assert by_id == by_card
    assert by_id.name == "刘桂英" and by_id.name_masked != by_id.name
    assert by_id.id_masked.startswith("4102") and LIU_GUIYING not in by_id.id_masked
    assert by_id.age >= 80 and by_id.eligible.elderly_allowance_apply
    assert flows.queries.identify(person(ZHAO_LEI)).eligible.resident_pension_enrol


def test_each_kind_of_records_is_read_as_its_model(flows: Flows) -> None:
    expected = {
        "contributions": Contributions,
        "pension": Pensions,
        "medical": MedicalInsurance,
        "subsidies": Subsidies,
    }
    for kind in RECORD_KINDS:
        result = flows.queries.records(kind, person(ZHANG_XIULAN))
        assert type(result) is expected[kind]
        assert result.person.id_masked.endswith("2422")
        assert result.printable.title and result.printable.issued_at
    pension = flows.queries.pension(person(ZHANG_XIULAN), months=1)
    assert pension.receiving and len(pension.records) == 1 and "*" in pension.bank_masked
    contributions = flows.queries.contributions(person(WANG_FANG))
    assert contributions.totals.years == len(contributions.records) > 0
    medical = flows.queries.medical(person(ZHANG_XIULAN))
    assert medical.insured and medical.records
    assert medical.due_fen == sum(r.premium_fen for r in medical.records if r.status == "due")


def test_a_card_the_hub_cannot_confirm_is_told_in_the_hub_s_words(flows: Flows) -> None:
    with pytest.raises(HubError) as unknown:
        flows.queries.identify(person(valid_unknown_id()))
    assert unknown.value.status == 403
    words = unknown.value.message_for(Translator("zh_CN"))
    assert words == "未能核验您的证件，请到窗口咨询"
    with pytest.raises(HubError) as malformed:
        flows.queries.contributions(person("41022519410315242X"))  # wrong check character
    assert malformed.value.status == 422 and "校验位" in malformed.value.detail

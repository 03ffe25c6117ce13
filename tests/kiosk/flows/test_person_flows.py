"""Applications, their progress, certificates and 补打 against the real hub."""

from __future__ import annotations

import pytest

from kiosk.flows import Flows
from kiosk.flows.payments import new_idempotency_key
from kiosk.hub_client import HubError
from kiosk.i18n import Translator
from tests.kiosk.flows.conftest import LIU_GUIYING, ZHANG_XIULAN, person, valid_unknown_id


def test_an_application_is_accepted_once_and_its_progress_found(flows: Flows) -> None:
    key = new_idempotency_key()
    submit = {
        "item_id": "rsi_elderly_allowance",
        "identity": person(LIU_GUIYING),
        "form": {"phone": "13812345678", "use_ss_card_account": True},
        "delivery": "counter",
        "address": None,
        "consent": True,
        "key": key,
    }
    accepted = flows.applications.submit(**submit)  # type: ignore[arg-type]
    assert len(accepted.acceptance_no) == 14 and accepted.item_id == "rsi_elderly_allowance"
    assert accepted.printable.title and accepted.due_date and accepted.promised_days > 0
    assert "13812345678" not in str(accepted.form)  # masked by the hub
    # What the hub answered is committed before the answer (hub/deps.py): read at once.
    number = accepted.acceptance_no
    mine = flows.progress.of_person(person(LIU_GUIYING))
    assert number in [r.acceptance_no for r in mine.records]
    found = flows.progress.by_acceptance_no(number)
    again = flows.applications.submit(**submit)  # type: ignore[arg-type]
    assert again.acceptance_no == accepted.acceptance_no  # replayed, not duplicated
    assert [r.acceptance_no for r in found.records] == [accepted.acceptance_no]
    assert found.records[0].history and found.person.id_masked == accepted.person.id_masked
    slips = flows.documents.of_person(person(LIU_GUIYING)).documents
    assert any(d.kind == "acceptance_slip" for d in slips)


def test_an_application_without_consent_is_refused_in_words(flows: Flows) -> None:
    with pytest.raises(HubError) as refused:
        flows.applications.submit(
            item_id="rsi_resident_pension_enrol",
            identity=person(LIU_GUIYING),
            form={"phone": "13812345678", "grade_yuan": 300},
            delivery="counter",
            address=None,
            consent=False,
            key=new_idempotency_key(),
        )
    words = refused.value.message_for(Translator("zh_CN"))
    assert refused.value.status == 400 and words == "需要您同意授权使用个人信息后才能办理"


def test_progress_of_a_number_nobody_has(flows: Flows) -> None:
    with pytest.raises(HubError) as unknown:
        flows.progress.by_acceptance_no("20000101999999")
    assert unknown.value.status == 404 and "受理编号" in unknown.value.detail
    with pytest.raises(HubError) as malformed:
        flows.progress.by_acceptance_no("12")
    assert malformed.value.status == 422


def test_a_certificate_is_issued_and_listed_for_reprint(flows: Flows) -> None:
    certificate = flows.certificates.insurance(person(ZHANG_XIULAN))
    assert certificate.code == certificate.printable.verification_code
    assert certificate.qr_url.endswith(f"/verify/{certificate.code}")
    assert certificate.facts and certificate.valid_until
    documents = flows.documents.of_person(person(ZHANG_XIULAN))
    assert documents.reprint_days == 90
    first = documents.documents[0]  # newest first
    assert first.kind == "certificate" and first.printable.verification_code == certificate.code
    with pytest.raises(HubError) as unknown:
        flows.certificates.insurance(person(valid_unknown_id()))
    assert unknown.value.status == 403  # no person session for a card the hub cannot confirm

"""The terminal's start-up recovery (kiosk.flows.payment_recovery.start_recovery, wired in
kiosk.runtime.Terminal.build): an order a crash left open is ended as soon as
the hub answers, also when the hub was down at start-up."""

from __future__ import annotations

import time
from pathlib import Path

from kiosk.flows import Payments
from kiosk.flows.payment_order import PaymentOrder
from kiosk.flows.payment_recovery import start_recovery
from kiosk.flows.payments import FINAL_STATUSES
from kiosk.flows.person import PersonSession
from kiosk.hub_client import HubClient
from kiosk.journal import Journal
from kiosk.recording import Recorder
from tests.e2e.conftest import closed_port_url
from tests.faults.hubproc import FaultHub, card_identity

GOOD_CODE = "134567890123456789"


def test_open_order_is_ended_once_the_hub_answers(fault_hub: FaultHub, tmp_path: Path) -> None:
    url = [closed_port_url()]
    token = fault_hub.token
    client = HubClient(lambda: url[0], token=lambda: token, timeout_s=3.0)
    key = fault_hub.key
    payments = Payments(client, PersonSession(client, lambda: key))
    journal = Journal(tmp_path / "journal.sqlite")
    recorder = Recorder(journal)
    url[0] = fault_hub.url
    payer = fault_hub.citizens[0]
    flow = PaymentOrder(
        payments,
        recorder.record,
        "resident_medical_2027",
        1,
        "native",
        identity=card_identity(payer),
    )
    flow.apply(flow.begin_create([payer["id_number"]], 0.0)())
    assert flow.order_no and not flow.final
    # The terminal "crashes" here and starts again while the hub is unreachable.
    url[0] = closed_port_url()
    stop = start_recovery(payments, journal.records, recorder.record, retry_s=0.3)
    try:
        time.sleep(1.0)
        assert not any(r.data.get("step") == "recover_done" for r in journal.records())
        url[0] = fault_hub.url  # the hub answers again
        deadline = time.monotonic() + 20
        done: list[dict[str, object]] = []
        while not done and time.monotonic() < deadline:
            done = [r.data for r in journal.records() if r.data.get("step") == "recover_done"]
            time.sleep(0.1)
    finally:
        stop()
    assert done and done[0]["order_no"] == flow.order_no and done[0]["recovered_final"]
    assert payments.order(flow.order_no).status in FINAL_STATUSES
    journal.close()

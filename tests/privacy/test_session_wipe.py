"""After a session ends, nothing reachable from the App holds the person's data,
and the raw card bytes (the ID card's photo and fingerprint bytearrays) are
zeroed (DESIGN §3: nothing of the previous person may be recoverable;
等保 2.0 §8.1.4.10).

The journey: the ID card read by the real driver over the simulated reader's
pty, a query shown, a certificate printed, a rating; then 完成. The walk
starts at the App object and follows ``gc.get_referents``; the simulators
(the card itself, the paper in the printer) are the world outside the kiosk.
"""

from __future__ import annotations

import pygame

from drivers.sim.demo_cards import fake_photo
from tests.e2e.conftest import MakeKiosk
from tests.privacy.memory import holders, reachable

PERSON = "zhang_xiulan"
ID_NUMBER = "410225194103152422"
NAME = "张秀兰"
ADDRESS = "河南省兰考县东坝头镇张庄村3组18号"


def test_session_end_leaves_no_trace_reachable_from_the_app(make_kiosk: MakeKiosk) -> None:
    k = make_kiosk()
    app, devices = k.app, k.devices
    k.choose("print")
    k.choose("certificate")
    k.place_card(PERSON)
    identity = app.session.identity
    assert identity is not None and identity.card is not None
    card = identity.card
    photo = bytes(card.photo)  # type: ignore[attr-defined]
    assert photo == fake_photo(PERSON)
    k.wait_for(lambda: k.screen.name == "certificate" and k.screen.data is not None)
    k.choose("print")
    k.receipts(1)
    # Before the end the walk does find the person (the check can fail).
    outside = [
        devices.sim_idcard,
        devices.sim_printer,
        devices.sim_scanner,
        devices.sim_slot,
        devices._demo_cards,
        devices._card_cycle,
        devices._ss_cycle,
    ]
    blobs = [photo[256:320]]
    during = holders(reachable(app, outside=outside), [ID_NUMBER, NAME, ADDRESS], blobs)
    assert during, "the walk found nothing while the person was served"
    devices.sim_idcard.remove()
    k.key(pygame.K_HOME)
    app.lifecycle.end(completed=True)
    k.settle()
    assert not app.session.serving
    del identity
    assert bytes(card.photo) == bytes(len(photo)), "photo bytes not zeroed"  # type: ignore[attr-defined]
    assert not any(card.fingerprint)  # type: ignore[attr-defined]
    after = holders(reachable(app, outside=outside), [ID_NUMBER, NAME, ADDRESS], blobs)
    assert after == [], after

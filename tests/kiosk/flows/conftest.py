"""The flows against the real hub application, served by uvicorn on a
loopback port (tests/hub/conftest.py's LiveHub), enrolled like a terminal
through the same client. One hub for the whole package keeps it quick, so
tests only rely on what they create themselves."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from drivers.sim.demo_cards import load_demo_cards
from hub.settings import HubSettings
from kiosk.agent.credential import enrol
from kiosk.card_identity import identity_from_card
from kiosk.flows import Flows, OfflineCache
from kiosk.hub_client import HubClient
from kiosk.session import Identity
from kiosk.signing import TerminalKey
from tests.hub.conftest import REPO, LiveHub, build_app

SERVICE_POINT = "dbt-zhangzhuang"  # a village service point in config/catalogue.json
ZHANG_XIULAN = "410225194103152422"  # 85, receives a pension, 2027 medical due
LIU_GUIYING = "410225194609304067"  # 80, may apply for the 高龄津贴
ZHAO_LEI = "410225200102145018"  # 25, may enrol in the resident pension
WANG_FANG = "410225198511203020"  # 41, pays into the resident pension
MA_WENHUA = "410225197205081016"  # nothing to pay


def valid_unknown_id() -> str:
    """A well-formed ID number (GB 11643 check character) of nobody in the demo."""
    body = "41022519990101123"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


_PEOPLE: dict[str, Identity] = {}


def person(id_number: str) -> Identity:
    """The identity the reader gives for the demo citizen with ``id_number`` (their
    simulated ID card, evidence and all); one object per person, so the flows
    keep one person session for them. A number nobody's card carries gets a
    card of its own: well-formed evidence the hub cannot confirm."""
    if id_number not in _PEOPLE:
        cards = {c.card.id_number: c.card for c in load_demo_cards()}
        if id_number in cards:
            _PEOPLE[id_number] = identity_from_card(cards[id_number])
        else:
            forged = next(iter(cards.values()))
            identity = identity_from_card(forged)
            assert identity.evidence is not None
            identity.id_number = id_number
            identity.evidence = {**identity.evidence, "id_number": id_number}
            _PEOPLE[id_number] = identity
    return _PEOPLE[id_number]


def ss_card(key: str) -> Identity:
    """The identity the smart-card reader gives for demo citizen ``key``'s
    social-security card (the simulator's card, read by the real driver)."""
    from drivers.sim.cards import SocialSecurityCardOS
    from drivers.sim.vpcd_card import load_citizen
    from drivers.smartcard.social_security import read_social_security_card

    card_os = SocialSecurityCardOS(load_citizen(key))

    class Slot:  # the one primitive a card read needs (drivers.smartcard.apdu.CardTransport)
        def connect(self) -> bytes:
            return card_os.getATR()

        def disconnect(self) -> None:
            pass

        def transmit(self, apdu: bytes) -> tuple[bytes, int, int]:
            reply = card_os.execute(apdu)
            return reply[:-2], reply[-2], reply[-1]

    return identity_from_card(read_social_security_card(Slot()))


@dataclass
class RealHub:
    url: str
    token: str
    key: TerminalKey


@pytest.fixture(scope="package")
def real_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealHub]:
    tmp = tmp_path_factory.mktemp("flows-hub")
    settings = HubSettings(
        database_url=f"sqlite:///{tmp / 'hub.db'}",
        secret_key="flows-test-secret-0123456789",
        demo_data=True,
        catalogue_path=str(REPO / "config" / "catalogue.json"),
        person_sessions_per_hour=10_000,  # one terminal for the package's every test
    )
    key = TerminalKey.load_or_create(tmp / "signing-key.pem")
    with LiveHub(build_app(settings)) as live:
        enrolling = HubClient(live.url)
        place = {
            "county": "兰考县",
            "town": "东坝头镇",
            "village": "张庄村",
            "branch": "",
            "service_point": SERVICE_POINT,  # where it may draw queue tickets
        }
        credential = enrol(enrolling, "DEMO-ENROL", "flows-test", place, key)
        enrolling.close()
        yield RealHub(live.url, credential.token, key)


@pytest.fixture
def client(real_hub: RealHub) -> Iterator[HubClient]:
    client = HubClient(real_hub.url, token=lambda: real_hub.token, timeout_s=10.0)
    yield client
    client.close()


@pytest.fixture
def flows(client: HubClient, tmp_path: Path, real_hub: RealHub) -> Flows:
    return Flows.over(
        client,
        service_point=SERVICE_POINT,
        offline=OfflineCache(tmp_path),
        signing_key=lambda: real_hub.key,
    )


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
def hub_down(tmp_path: Path) -> Iterator[Flows]:
    """Flows over a hub that does not answer (nothing listens on its port)."""
    client = HubClient(closed_port_url(), token=lambda: "token", timeout_s=2.0)
    key = TerminalKey.load_or_create(tmp_path / "signing-key.pem")
    yield Flows.over(
        client,
        service_point=SERVICE_POINT,
        offline=OfflineCache(tmp_path),
        signing_key=lambda: key,
    )
    client.close()

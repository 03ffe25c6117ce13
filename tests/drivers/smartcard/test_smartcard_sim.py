"""The same reading logic over the in-process simulator (demo mode's ``type = "sim"``)."""

from __future__ import annotations

import json
import random
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.errors import DeviceError
from drivers.sim.cards import BankCardOS, SocialSecurityCardOS, UnknownCardOS
from drivers.smartcard import (
    CardKind,
    CardNotReadableHere,
    CardRemoved,
    NoCard,
    SimCardSlot,
    SimTransport,
    SmartCardReader,
    UnreadableReason,
)
from protocol.devices import DeviceHealth, DeviceState

CITIZENS = json.loads(
    (Path(__file__).resolve().parents[3] / "config/demo/citizens.json").read_text("utf-8")
)["citizens"]


@pytest.mark.parametrize("citizen", CITIZENS, ids=lambda c: c["key"])
@pytest.mark.parametrize("sw_mode", [None, "61xx", "6Cxx"])
def test_every_demo_citizen_reads_back(citizen: dict[str, str], sw_mode: str | None) -> None:
    ss_os = SocialSecurityCardOS(citizen, sw_mode=sw_mode)  # type: ignore[arg-type]
    with SmartCardReader.from_transport(SimTransport(ss_os)) as reader:
        card = reader.read_any()
    assert card.name == citizen["name"]  # type: ignore[union-attr]
    assert card.social_security_number == citizen["id_number"]  # type: ignore[union-attr]
    if sw_mode == "61xx":
        assert any(cmd[:2] == b"\x00\xc0" for cmd in ss_os.commands)  # GET RESPONSE used

    for contactless in (False, True):
        bank_os = BankCardOS(citizen, contactless=contactless, sw_mode=sw_mode)  # type: ignore[arg-type]
        with SmartCardReader.from_transport(SimTransport(bank_os)) as reader:
            assert reader.detect_card_kind() is CardKind.BANK
            bank = reader.read_bank_card()
        pan = citizen["bank_pan"]
        assert bank.pan_masked == pan[:6] + "*" * (len(pan) - 10) + pan[-4:]
        assert bank.expiry == citizen["bank_expiry"]
        assert pan not in repr(bank)
        assert len(bank_os.gpo_data[-1]) == bank_os.pdol_length  # PDOL filled, not empty


def test_card_that_rejects_an_empty_pdol_is_still_read() -> None:
    bank_os = BankCardOS(CITIZENS[0], contactless=True)
    with SmartCardReader.from_transport(SimTransport(bank_os)) as reader:
        reader.read_bank_card()
    assert bank_os.gpo_data[0][:4] == bytes.fromhex("26000000")  # TTQ sent


def test_psam_and_unknown_cards() -> None:
    with (
        SmartCardReader.from_transport(
            SimTransport(SocialSecurityCardOS(CITIZENS[1], psam_required=True))
        ) as reader,
        pytest.raises(CardNotReadableHere) as info,
    ):
        reader.read_social_security_card()
    assert info.value.reason is UnreadableReason.PSAM_REQUIRED
    with SmartCardReader.from_transport(SimTransport(UnknownCardOS())) as reader:
        with pytest.raises(CardNotReadableHere) as info:
            reader.read_social_security_card()
        assert info.value.reason is UnreadableReason.UNKNOWN_CARD


def test_reading_outside_the_context_manager_is_refused() -> None:
    reader = SmartCardReader.from_transport(SimTransport(UnknownCardOS()))
    with pytest.raises(RuntimeError):
        reader.read_bank_card()


def test_sim_slot_events_and_reads() -> None:
    events: list[object] = []
    slot = SimCardSlot(
        on_insert=lambda name: events.append(("insert", name)),
        on_remove=lambda: events.append("remove"),
        on_health=lambda h: events.append(h.state),
    )
    slot.start()
    with pytest.raises(NoCard), SmartCardReader.from_transport(slot):
        pass
    slot.insert(SocialSecurityCardOS(CITIZENS[2]))
    with SmartCardReader.from_transport(slot) as reader:
        assert reader.read_social_security_card().name == CITIZENS[2]["name"]
        slot.remove()
        with pytest.raises(CardRemoved):
            reader.read_social_security_card()
    assert events == [DeviceState.ONLINE, ("insert", slot.reader_name), "remove"]
    assert isinstance(DeviceHealth("smartcard", DeviceState.ONLINE), DeviceHealth)


class MutatingCard:
    """Wraps a card and corrupts a few bytes of its answers (data part only)."""

    def __init__(self, card: SocialSecurityCardOS | BankCardOS, rng: random.Random) -> None:
        self.card = card
        self.rng = rng

    def getATR(self) -> bytes:  # noqa: N802 - virtualsmartcard's interface
        return self.card.getATR()

    def powerUp(self) -> None:  # noqa: N802
        self.card.powerUp()

    def powerDown(self) -> None:  # noqa: N802
        self.card.powerDown()

    def execute(self, msg: bytes) -> bytes:
        response = bytearray(self.card.execute(msg))
        if len(response) > 2 and self.rng.random() < 0.5:
            for _ in range(self.rng.randint(1, 3)):
                response[self.rng.randrange(len(response) - 2)] = self.rng.randrange(256)
        if self.rng.random() < 0.05:
            del response[self.rng.randrange(len(response)) :]  # truncated answer
        return bytes(response)


@pytest.mark.parametrize("kind", ["ss", "bank"])
def test_corrupted_answers_give_device_errors_never_crashes_or_pans(kind: str) -> None:
    rng = random.Random(20261122)
    citizen = CITIZENS[0]
    outcomes: dict[str, int] = {}
    for _ in range(300):
        card: SocialSecurityCardOS | BankCardOS = (
            SocialSecurityCardOS(citizen) if kind == "ss" else BankCardOS(citizen)
        )
        try:
            with SmartCardReader.from_transport(SimTransport(MutatingCard(card, rng))) as reader:
                result = (
                    reader.read_social_security_card() if kind == "ss" else reader.read_bank_card()
                )
            outcomes["ok"] = outcomes.get("ok", 0) + 1
            assert citizen["bank_pan"] not in repr(result)
        except DeviceError as exc:
            outcomes[type(exc).__name__] = outcomes.get(type(exc).__name__, 0) + 1
            assert citizen["bank_pan"] not in f"{exc} {exc.detail} {exc!r}"
            assert citizen["bank_pan"][6:-4] not in str(exc)
    assert outcomes.get("ProtocolError", 0) > 0  # the corruption was noticed, not ignored


def test_bank_card_pulled_mid_read_leaks_no_pan() -> None:
    citizen = CITIZENS[3]
    slot = SimCardSlot()
    card = BankCardOS(citizen)
    slot.insert(card)
    original = card.execute

    def pull_after_gpo(msg: bytes) -> bytes:
        if msg[:2] == b"\x80\xa8":  # pulled while answering GET PROCESSING OPTIONS
            slot.remove()
        return original(msg)

    card.execute = pull_after_gpo  # type: ignore[method-assign]
    with SmartCardReader.from_transport(slot) as reader, pytest.raises(CardRemoved) as info:
        reader.read_bank_card()
    assert citizen["bank_pan"] not in repr(info.value)
    assert card.commands[-1][:2] == b"\x80\xa8"  # nothing reached the card after the pull


def test_vpcd_card_exits_nonzero_when_vpcd_is_not_there() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    result = subprocess.run(
        [sys.executable, "-m", "drivers.sim.vpcd_card", "--card", "ss", "--host", "127.0.0.1",
         "--port", str(free_port)],
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "is pcscd running?" in result.stderr

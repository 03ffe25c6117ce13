"""The smart-card driver against the real PC/SC stack: pcscd + vpcd + emulated cards."""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from typing import Any

import pytest

from drivers.sim.vpcd_card import load_citizen
from drivers.smartcard import (
    BankCard,
    CardKind,
    CardNotReadableHere,
    CardRemoved,
    CardWatcher,
    NoCard,
    ReaderNotFound,
    SmartCardReader,
    UnreadableReason,
)
from protocol.devices import DeviceHealth, DeviceState

pytestmark = pytest.mark.pcsc
READER = "Virtual PCD 00 00"  # vpcd slot 0, TCP 35963 (the only one these tests use)
# Fixtures from pcsc_fixtures.py: vpcd_card(card, citizen, *args) -> CardProcess; pcscd -> Pcscd.
InsertCard = Callable[..., Any]
Pcscd = Any


def test_social_security_card_read_through_pcscd(vpcd_card: InsertCard) -> None:
    citizen = load_citizen("ma_wenhua")
    vpcd_card("ss", "ma_wenhua")
    with SmartCardReader("Virtual PCD") as reader:
        assert reader.detect_card_kind() is CardKind.SOCIAL_SECURITY
        card = reader.read_social_security_card()
    assert card.card_number == citizen["ss_card_number"]
    assert card.social_security_number == citizen["id_number"]
    assert card.name == citizen["name"]
    assert (card.sex, card.nation) == (citizen["sex"], citizen["nation"])
    assert card.birth_date.strftime("%Y%m%d") == citizen["birth"]
    assert citizen["id_number"] not in repr(card)
    assert repr(card).count("*") > 10


def test_social_security_card_without_birthplace_record_through_pcscd(
    vpcd_card: InsertCard, caplog: pytest.LogCaptureFixture
) -> None:
    """An issuer that never wrote 出生地 (0C): the card answers READ RECORD 0C with
    6A83 through pcscd, and is still read, saying what it lacks."""
    citizen = load_citizen("ma_wenhua")
    vpcd_card("ss", "ma_wenhua", "--omit-record", "0C")
    caplog.set_level(logging.DEBUG)
    with SmartCardReader(READER) as reader:
        card = reader.read_social_security_card()
    assert card.card_number == citizen["ss_card_number"]
    assert card.social_security_number == citizen["id_number"]
    assert card.name == citizen["name"]
    assert card.birth_date is not None
    assert card.birth_date.strftime("%Y%m%d") == citizen["birth"]
    assert card.birthplace_code == ""
    assert card.missing == ("birthplace_code",)
    assert "birthplace_code (0C absent)" in caplog.text
    for personal in (citizen["id_number"], citizen["name"], citizen["ss_card_number"]):
        assert personal not in caplog.text


def test_bank_card_read_masks_pan_everywhere(
    vpcd_card: InsertCard, caplog: pytest.LogCaptureFixture
) -> None:
    citizen = load_citizen("li_jianguo")
    pan = citizen["bank_pan"]
    vpcd_card("bank", "li_jianguo")
    caplog.set_level(logging.DEBUG)
    with SmartCardReader(READER) as reader:
        card = reader.read_bank_card()
    assert isinstance(card, BankCard)
    assert card.pan_masked == pan[:6] + "*" * (len(pan) - 10) + pan[-4:]
    assert card.expiry == citizen["bank_expiry"]
    assert card.aid == "A000000333010101"
    for text in (repr(card), str(card), caplog.text, repr(vars(card))):
        assert pan not in text
        assert pan[6:-4] not in text


@pytest.mark.parametrize("sw_mode", ["61xx", "6Cxx"])
def test_t0_status_words_are_followed(vpcd_card: InsertCard, sw_mode: str) -> None:
    citizen = load_citizen("wang_fang")
    process = vpcd_card("ss", "wang_fang", "--sw-mode", sw_mode)
    with SmartCardReader(READER) as reader:
        assert reader.read_social_security_card().name == citizen["name"]
    process.remove()
    vpcd_card("bank", "wang_fang", "--sw-mode", sw_mode, "--contactless")
    with SmartCardReader(READER) as reader:
        assert reader.read_bank_card().pan_masked.endswith(citizen["bank_pan"][-4:])


def test_psam_required_card_is_a_clear_state(vpcd_card: InsertCard) -> None:
    vpcd_card("ss", "zhao_lei", "--psam-required")
    with SmartCardReader(READER) as reader, pytest.raises(CardNotReadableHere) as info:
        reader.read_social_security_card()
    assert info.value.reason is UnreadableReason.PSAM_REQUIRED
    assert info.value.code == 0x6982
    assert "社保" in info.value.user_message
    assert load_citizen("zhao_lei")["id_number"] not in str(info.value)


def test_unknown_card_is_not_readable_here(vpcd_card: InsertCard) -> None:
    vpcd_card("unknown")
    with SmartCardReader(READER) as reader:
        with pytest.raises(CardNotReadableHere) as info:
            reader.read_any()
        assert info.value.reason is UnreadableReason.UNKNOWN_CARD
        with pytest.raises(CardNotReadableHere):
            reader.read_bank_card()


def test_empty_reader_and_missing_reader(pcscd: Pcscd) -> None:
    with pytest.raises(NoCard), SmartCardReader(READER):
        pass
    with pytest.raises(ReaderNotFound), SmartCardReader("No Such Reader 42"):
        pass


def test_card_pulled_between_reads_raises_card_removed(vpcd_card: InsertCard) -> None:
    process = vpcd_card("ss", "zhang_xiulan")
    with SmartCardReader(READER) as reader:
        reader.read_social_security_card()
        process.remove()
        with pytest.raises(CardRemoved):
            reader.read_social_security_card()


class Events:
    def __init__(self) -> None:
        self.q: queue.Queue[tuple[str, object]] = queue.Queue()

    def insert(self, name: str) -> None:
        self.q.put(("insert", name))

    def remove(self) -> None:
        self.q.put(("remove", None))

    def health(self, health: DeviceHealth) -> None:
        self.q.put(("health", health.state))

    def next(self, timeout: float = 10.0) -> tuple[str, object]:
        try:
            return self.q.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no card watcher event within {timeout} s")


def test_watcher_reports_insert_and_remove(vpcd_card: InsertCard) -> None:
    events = Events()
    watcher = CardWatcher("Virtual PCD 00 00", events.insert, events.remove, events.health)
    watcher.start()
    try:
        assert events.next() == ("health", DeviceState.ONLINE)
        for citizen in ("zhang_xiulan", "li_jianguo"):
            process = vpcd_card("ss", citizen)
            assert events.next() == ("insert", READER)
            with SmartCardReader(READER) as reader:
                assert reader.read_social_security_card().name == load_citizen(citizen)["name"]
            process.remove()
            assert events.next() == ("remove", None)
        assert events.q.empty()
    finally:
        started = time.monotonic()
        watcher.stop()
        assert time.monotonic() - started < 2.0  # SCardCancel wakes the thread at once


def test_watcher_sees_card_already_inserted(vpcd_card: InsertCard) -> None:
    vpcd_card("bank", "zhao_lei")
    events = Events()
    watcher = CardWatcher("Virtual PCD 00 00", events.insert, events.remove, events.health)
    watcher.start()
    try:
        assert events.next() == ("health", DeviceState.ONLINE)
        assert events.next() == ("insert", READER)
    finally:
        watcher.stop()


def test_watcher_missing_reader_is_nodevice(pcscd: Pcscd) -> None:
    events = Events()
    watcher = CardWatcher("Huimin Absent Reader", events.insert, events.remove, events.health)
    watcher.start()
    try:
        assert events.next() == ("health", DeviceState.NODEVICE)
    finally:
        watcher.stop()


def test_watcher_reader_gone_and_back_with_pcscd(pcscd: Pcscd) -> None:
    if not pcscd.owned:
        pytest.fail(
            "pcscd was started outside this test session; this test must restart it to make "
            "the reader disappear and come back. Stop the external pcscd and rerun."
        )
    events = Events()
    watcher = CardWatcher("Virtual PCD 00 00", events.insert, events.remove, events.health)
    watcher.start()
    try:
        assert events.next() == ("health", DeviceState.ONLINE)
        pcscd.stop()
        assert events.next() == ("health", DeviceState.NODEVICE)
        pcscd.start()
        assert events.next() == ("health", DeviceState.ONLINE)
    finally:
        watcher.stop()
        if pcscd.proc is None:
            pcscd.start()

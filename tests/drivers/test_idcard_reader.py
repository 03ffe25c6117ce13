"""The real IdCardReader against the SAM simulator over a pty: own openpty and socat."""

from __future__ import annotations

import json
import os
import select
import time
from datetime import date
from pathlib import Path

import pytest

from drivers.errors import CardError, DeviceOffline, DeviceTimeout, ProtocolError
from drivers.idcard import CardReadFailed, IdCardExpired, IdCardReader, ensure_usable
from drivers.sim.demo_cards import SimCard
from drivers.sim.idcard_reader import IdCardSimulator
from protocol.devices import DeviceState

H = bytes.fromhex
TODAY = date(2026, 11, 22)
CITIZENS = json.loads(
    (Path(__file__).resolve().parents[2] / "config/demo/citizens.json").read_text("utf-8")
)["citizens"]
# Written out here rather than taken from drivers.idcard.codes, so a wrong table fails.
SEX_TEXT = {"1": "男", "2": "女"}
NATION_TEXT = {"01": "汉", "03": "回", "11": "满"}


def _ymd(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


@pytest.mark.parametrize("citizen", CITIZENS, ids=[c["key"] for c in CITIZENS])
def test_each_demo_card_decodes_field_by_field(
    idcard_line: tuple[IdCardSimulator, str],
    demo_cards: dict[str, SimCard],
    citizen: dict[str, str],
) -> None:
    sim, path = idcard_line
    sim.place(demo_cards[citizen["key"]])
    with IdCardReader(path) as reader:
        card = reader.read_card(timeout=3.0)
    assert card is not None
    assert card.card_type == "id"
    assert card.name == citizen["name"]
    assert card.sex == SEX_TEXT[citizen["sex"]]
    assert card.nation == NATION_TEXT[citizen["nation"]]
    assert card.birth_date == _ymd(citizen["birth"])
    assert card.address == citizen["address"]
    assert card.id_number == citizen["id_number"]
    assert card.authority == citizen["authority"]
    assert card.valid_from == _ymd(citizen["valid_from"])
    expected_to = None if citizen["valid_to"] == "长期" else _ymd(citizen["valid_to"])
    assert card.valid_to == expected_to
    assert len(card.photo) == 1024
    assert card.photo == demo_cards[citizen["key"]].card.photo


def test_hk_macau_taiwan_permit(
    idcard_line: tuple[IdCardSimulator, str], extra_cards: dict[str, SimCard]
) -> None:
    sim, path = idcard_line
    sim.place(extra_cards["J"])
    with IdCardReader(path) as reader:
        card = reader.read_card()
    assert card is not None
    assert (card.card_type, card.name, card.sex, card.nation) == ("J", "陈家明", "男", "")
    assert card.birth_date == date(1990, 6, 15)
    assert card.address == "河南省兰考县城关镇裕禄大道88号"
    assert card.id_number == "810000199006150037"
    assert card.authority == "兰考县公安局"
    assert (card.valid_from, card.valid_to) == (date(2024, 5, 20), date(2029, 5, 20))
    assert (card.pass_number, card.issue_count) == ("H12345678", 1)


def test_foreign_permanent_resident_2017(
    idcard_line: tuple[IdCardSimulator, str], extra_cards: dict[str, SimCard]
) -> None:
    sim, path = idcard_line
    sim.place(extra_cards["I"])
    with IdCardReader(path) as reader:
        card = reader.read_card()
    assert card is not None
    assert (card.card_type, card.name, card.sex) == ("I", "史密斯", "男")
    assert card.english_name == "SMITH, JOHN WILLIAM"
    assert card.id_number == "USA110085060101"
    assert card.nationality == "USA"
    assert card.birth_date == date(1985, 6, 1)
    assert (card.valid_from, card.valid_to) == (date(2019, 1, 10), date(2029, 1, 10))
    assert (card.card_version, card.authority_code) == ("17", "1100")


def test_foreign_permanent_resident_2023_long_english_name(
    idcard_line: tuple[IdCardSimulator, str], extra_cards: dict[str, SimCard]
) -> None:
    sim, path = idcard_line
    sim.place(extra_cards["Y"])
    with IdCardReader(path) as reader:
        card = reader.read_card()
    assert card is not None
    assert (card.card_type, card.name, card.sex) == ("Y", "玛丽亚", "女")
    assert card.english_name == "GARCIA LOPEZ, MARIA FERNANDA ISABELLA"  # 37 chars: continued
    assert card.id_number == "941724199211030025"
    assert card.nationality == "ESP"
    assert card.renewal_count == 0
    assert card.birth_date == date(1992, 11, 3)
    assert (card.valid_from, card.valid_to) == (date(2023, 12, 1), date(2033, 12, 1))


def test_no_card_reads_none_and_sam_answers(idcard_line: tuple[IdCardSimulator, str]) -> None:
    _, path = idcard_line
    with IdCardReader(path) as reader:
        reader.sam_status()
        assert reader.sam_id() == "05.01-20101014-000012345-000067890"
        assert reader.read_card(timeout=1.0) is None
        assert reader.health().state is DeviceState.ONLINE


@pytest.mark.parametrize(("kind", "fp_len"), [("J", 512), ("Y", 0), ("I", 1024)])
def test_read_with_fingerprint(
    idcard_line: tuple[IdCardSimulator, str],
    extra_cards: dict[str, SimCard],
    kind: str,
    fp_len: int,
) -> None:
    sim, path = idcard_line
    sim.place(extra_cards[kind])
    with IdCardReader(path) as reader:
        card = reader.read_card_with_fingerprint()
    assert card is not None
    assert len(card.fingerprint) == fp_len
    assert card.fingerprint == extra_cards[kind].card.fingerprint
    card.wipe()
    assert not any(card.fingerprint) and not any(card.photo)


def test_expired_demo_card_reads_then_is_refused(
    idcard_line: tuple[IdCardSimulator, str], demo_cards: dict[str, SimCard]
) -> None:
    sim, path = idcard_line
    sim.place(demo_cards["liu_guiying"])
    with IdCardReader(path) as reader:
        card = reader.read_card()
    assert card is not None and card.name == "刘桂英"
    with pytest.raises(IdCardExpired) as info:
        ensure_usable(card, TODAY)
    assert "身份证已过期" in info.value.user_message


# --- byte-exact replies (the simulator against the spec's own bytes) ----------


def _exchange(fd: int, request: bytes, expect: int, timeout: float = 2.0) -> bytes:
    os.write(fd, request)
    got = b""
    deadline = time.monotonic() + timeout
    while len(got) < expect and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            got += os.read(fd, 4096)
    return got


def test_simulator_replies_are_byte_exact(
    idcard_line: tuple[IdCardSimulator, str],
    demo_cards: dict[str, SimCard],
    extra_cards: dict[str, SimCard],
) -> None:
    sim, path = idcard_line
    with IdCardReader(path):  # sets the pty raw, as the driver would
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    try:
        status = H("AA AA AA 96 69 00 03 11 FF ED")
        find = H("AA AA AA 96 69 00 03 20 01 22")
        select_card = H("AA AA AA 96 69 00 03 20 02 21")
        assert _exchange(fd, status, 11) == H("AA AA AA 96 69 00 04 00 00 90 94")
        assert _exchange(fd, find, 10) == H("AA AA AA 96 69 00 04 00 00 80 84")
        sim.place(demo_cards["wang_fang"])
        assert _exchange(fd, find, 15) == H("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
        assert _exchange(fd, select_card, 18)[7:10] == H("00 00 90")
        read = _exchange(fd, H("AA AA AA 96 69 00 03 30 01 32"), 1295)
        assert len(read) == 1295
        assert read[:14] == H("AA AA AA 96 69 05 08 00 00 90 01 00 04 00")
        # Text starts with 王芳 in UCS-2LE, padded with spaces.
        assert read[14:22] == "王芳  ".encode("utf-16-le")
        for card, total, fp_len in [
            (demo_cards["wang_fang"], 2321, "04 00"),
            (extra_cards["J"], 1809, "02 00"),
            (extra_cards["Y"], 1297, "00 00"),
        ]:
            sim.place(card)
            _exchange(fd, find, 15)
            _exchange(fd, select_card, 18)
            reply = _exchange(fd, H("AA AA AA 96 69 00 03 30 10 23"), total)
            assert len(reply) == total
            head = H("AA AA AA 96 69") + (total - 7).to_bytes(2, "big")
            assert reply[:16] == head + H("00 00 90 01 00 04 00") + H(fp_len)
        # A read without find and select first fails, as on a real SAM.
        assert _exchange(fd, H("AA AA AA 96 69 00 03 30 01 32"), 10)[9] == 0x41
    finally:
        os.close(fd)


# --- faults -----------------------------------------------------------------------


def test_garbage_before_replies_is_skipped(
    idcard_line: tuple[IdCardSimulator, str], demo_cards: dict[str, SimCard]
) -> None:
    sim, path = idcard_line
    sim.place(demo_cards["ma_wenhua"])
    sim.set_fault("garbage")
    with IdCardReader(path) as reader:
        for _ in range(3):
            card = reader.read_card()
            assert card is not None and card.name == "马文华"
    assert sim.faults_injected >= 9  # three replies per read, each with noise


def test_a_lost_byte_is_recovered_by_resync(
    idcard_line: tuple[IdCardSimulator, str], demo_cards: dict[str, SimCard]
) -> None:
    sim, path = idcard_line
    sim.place(demo_cards["zhao_lei"])
    with IdCardReader(path) as reader:
        sim.set_fault("lost_byte")
        card = reader.read_card()
        assert card is not None and card.name == "赵磊"
        assert sim.faults_injected == 1
        assert sim.fault is None
        assert reader.read_card() == card


def test_a_lost_byte_in_the_long_read_reply_restarts_the_sequence(
    idcard_line: tuple[IdCardSimulator, str], demo_cards: dict[str, SimCard]
) -> None:
    sim, path = idcard_line
    sim.place(demo_cards["wang_fang"])
    with IdCardReader(path) as reader:
        sim.set_fault("lost_byte", on_command=0x30)
        started = time.monotonic()
        card = reader.read_card()
        assert card is not None and card.name == "王芳"
    assert sim.faults_injected == 1
    finds = [t for t, cmd, para in sim.requests if t >= started and (cmd, para) == (0x20, 1)]
    assert len(finds) == 2  # find/select/read, then again from find


def test_bad_checksum_is_a_protocol_error_then_recovers(
    idcard_line: tuple[IdCardSimulator, str], demo_cards: dict[str, SimCard]
) -> None:
    sim, path = idcard_line
    sim.place(demo_cards["li_jianguo"])
    with IdCardReader(path) as reader:
        sim.set_fault("bad_checksum")
        started = time.monotonic()
        with pytest.raises(ProtocolError, match="checksum"):
            reader.read_card(timeout=3.0)
        assert time.monotonic() - started < 2.0  # detected, not waited out
        assert sim.faults_injected >= 2  # the driver resent once
        sim.set_fault(None)
        card = reader.read_card()
    assert card is not None and card.name == "李建国"


def test_slow_reader_times_out_then_recovers(
    idcard_line: tuple[IdCardSimulator, str], demo_cards: dict[str, SimCard]
) -> None:
    sim, path = idcard_line  # slow_delay 1.0 s
    sim.place(demo_cards["zhang_xiulan"])
    with IdCardReader(path) as reader:
        sim.set_fault("slow")
        started = time.monotonic()
        with pytest.raises(DeviceTimeout):
            reader.read_card(timeout=0.4)
        assert 0.35 < time.monotonic() - started < 2.0
        assert reader.health().state is DeviceState.OFFLINE
        sim.set_fault(None)
        # The late reply still arrives; the driver must not mistake it for another's.
        card = reader.read_card(timeout=3.0)
    assert card is not None and card.name == "张秀兰"


def test_read_failure_is_a_card_error_asking_to_place_again(
    idcard_line: tuple[IdCardSimulator, str], demo_cards: dict[str, SimCard]
) -> None:
    sim, path = idcard_line
    sim.place(demo_cards["wang_fang"])
    sim.set_fault("read_fail")
    with IdCardReader(path) as reader, pytest.raises(CardReadFailed) as info:
        reader.read_card()
    assert isinstance(info.value, CardError)
    assert info.value.code == 0x41
    assert info.value.user_message == "请重新放置身份证"
    assert "4102" not in str(info.value)


def test_missing_port_and_unplug_raise_device_offline(
    tmp_path: Path, demo_cards: dict[str, SimCard]
) -> None:
    with pytest.raises(DeviceOffline) as info:
        IdCardReader(str(tmp_path / "nothing")).open()
    assert info.value.code == "nodevice"
    sim = IdCardSimulator(link=str(tmp_path / "idcard"))
    path = sim.start()
    sim.place(demo_cards["wang_fang"])
    with IdCardReader(path) as reader:
        assert reader.read_card() is not None
        sim.stop()
        with pytest.raises(DeviceOffline):
            reader.read_card(timeout=1.0)
        assert reader.health().state is DeviceState.NODEVICE

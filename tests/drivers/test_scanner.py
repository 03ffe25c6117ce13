"""Payment-code scanner: code rules, the serial driver over a pty, the wedge decoder."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import DeviceError, DeviceOffline, InvalidCode
from drivers.scanner import (
    KeyboardWedgeDecoder,
    PaymentCode,
    PaymentKind,
    ScannerWatcher,
    SerialScanner,
    parse_payment_code,
)
from drivers.sim.scanner import ScannerSimulator
from protocol.devices import DeviceHealth, DeviceState

WaitFor = Callable[..., bool]  # the conftest's wait_for fixture

WECHAT = "134567890123456789"
ALIPAY = "2876543210987654"
UNIONPAY = "6250123456789012345"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (WECHAT, "wechat"),
        ("100000000000000000", "wechat"),
        ("159999999999999999", "wechat"),
        (ALIPAY, "alipay"),
        ("250000000000000000000000", "alipay"),  # 24 digits
        ("300000000000000000", "alipay"),
        (UNIONPAY, "unionpay"),
        (f" {WECHAT}\r\n", "wechat"),
    ],
)
def test_valid_codes(text: str, kind: str) -> None:
    code = parse_payment_code(text)
    assert code == PaymentCode(kind, text.strip())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "160000000000000000",  # 18 digits, prefix 16
        "13456789012345678",  # 17 digits, WeChat prefix
        "2876543210987",  # Alipay prefix, 13 digits
        "2500000000000000000000000",  # 25 digits
        "310000000000000000",  # prefix 31
        "625012345678901234",  # 62 but 18 digits
        "13456789012345678X",
        "１34567890123456789",  # full-width digit
        "https://qr.alipay.com/abc",
        "6901234567892",  # a product EAN-13
    ],
)
def test_invalid_codes(text: str) -> None:
    with pytest.raises(InvalidCode) as info:
        parse_payment_code(text)
    assert info.value.user_message.startswith("无法识别付款码")
    if len(text) > 6:
        assert text not in str(info.value)


def test_repr_masks_the_code() -> None:
    code = parse_payment_code(WECHAT)
    assert WECHAT not in repr(code)
    assert repr(code) == "PaymentCode(kind='wechat', code='13************6789')"


@settings(max_examples=2000, deadline=None)
@given(st.text(max_size=40) | st.text("0123456789", max_size=30))
def test_parse_accepts_only_the_published_formats(text: str) -> None:
    try:
        code = parse_payment_code(text)
    except InvalidCode as exc:
        stripped = text.strip()
        if stripped.isdigit() and len(stripped) > 6:
            assert stripped not in exc.detail  # never the whole code
        return
    digits = text.strip()
    assert digits.isdigit() and digits.isascii()
    prefix = int(digits[:2])
    assert {
        "wechat": len(digits) == 18 and 10 <= prefix <= 15,
        "alipay": 16 <= len(digits) <= 24 and 25 <= prefix <= 30,
        "unionpay": len(digits) == 19 and prefix == 62,
    }[code.kind]


# --- serial scanner over a pty -----------------------------------------------------


def test_serial_scanner_reads_each_kind(scanner_line: tuple[ScannerSimulator, str]) -> None:
    sim, path = scanner_line
    with SerialScanner(path) as scanner:
        assert scanner.read_code(0.2) is None
        kinds: list[tuple[str, PaymentKind]] = [
            (WECHAT, "wechat"),
            (ALIPAY, "alipay"),
            (UNIONPAY, "unionpay"),
        ]
        for text, kind in kinds:
            sim.scan(text)
            assert scanner.read_code(2.0) == PaymentCode(kind, text)


def test_serial_scanner_rejects_invalid_lines_and_garbage(
    scanner_line: tuple[ScannerSimulator, str],
) -> None:
    sim, path = scanner_line
    with SerialScanner(path) as scanner:
        sim.scan("6901234567892")
        with pytest.raises(InvalidCode):
            scanner.read_code(2.0)
        sim.send_garbage(b"\x00\xff\x13\x37\xaa\r")
        with pytest.raises(InvalidCode):
            scanner.read_code(2.0)
        sim.send_garbage(b"9" * 100)  # a runaway line without terminator
        with pytest.raises(InvalidCode, match="without terminator"):
            scanner.read_code(2.0)
        sim.scan(WECHAT)
        assert scanner.read_code(2.0) == PaymentCode("wechat", WECHAT)


def test_stale_partial_line_is_dropped(scanner_line: tuple[ScannerSimulator, str]) -> None:
    sim, path = scanner_line
    with SerialScanner(path, line_gap=0.2) as scanner:
        sim.send_garbage(b"\x1b[12")  # a half line, then silence
        assert scanner.read_code(0.3) is None
        time.sleep(0.25)
        sim.scan(ALIPAY)
        assert scanner.read_code(2.0) == PaymentCode("alipay", ALIPAY)


def test_crlf_scanner(tmp_path: Path) -> None:
    sim = ScannerSimulator(link=str(tmp_path / "scanner"), terminator=b"\r\n")
    path = sim.start()
    try:
        with SerialScanner(path) as scanner:
            sim.scan(UNIONPAY)
            sim.scan(WECHAT)
            assert scanner.read_code(2.0) == PaymentCode("unionpay", UNIONPAY)
            assert scanner.read_code(2.0) == PaymentCode("wechat", WECHAT)
    finally:
        sim.stop()


def test_unplugged_scanner_raises_device_offline(tmp_path: Path) -> None:
    sim = ScannerSimulator(link=str(tmp_path / "scanner"))
    path = sim.start()
    with SerialScanner(path) as scanner:
        sim.stop()
        with pytest.raises(DeviceOffline):
            scanner.read_code(1.0)
    with pytest.raises(DeviceOffline) as info:
        SerialScanner(path).open()
    assert info.value.code == "nodevice"


class Events:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.codes: list[PaymentCode] = []
        self.errors: list[DeviceError] = []
        self.states: list[DeviceState] = []

    def on_code(self, code: PaymentCode) -> None:
        with self.lock:
            self.codes.append(code)

    def on_error(self, exc: DeviceError) -> None:
        with self.lock:
            self.errors.append(exc)

    def on_health(self, health: DeviceHealth) -> None:
        with self.lock:
            self.states.append(health.state)


def test_watcher_delivers_codes_and_survives_replug(tmp_path: Path, wait_for: WaitFor) -> None:
    sim = ScannerSimulator(link=str(tmp_path / "scanner"))
    path = sim.start()
    ev = Events()
    watcher = ScannerWatcher(
        path,
        on_code=ev.on_code,
        on_error=ev.on_error,
        on_health=ev.on_health,
        backoff_min=0.1,
        backoff_max=0.4,
    )
    watcher.start()
    try:
        assert wait_for(lambda: ev.states == [DeviceState.ONLINE])
        sim.scan(WECHAT)
        sim.scan("12345")
        assert wait_for(lambda: len(ev.codes) == 1 and len(ev.errors) == 1)
        assert isinstance(ev.errors[0], InvalidCode)
        sim.stop()
        assert wait_for(lambda: ev.states[-1:] == [DeviceState.NODEVICE])
        sim.start()
        assert wait_for(lambda: ev.states[-1:] == [DeviceState.ONLINE], timeout=5.0)
        time.sleep(0.1)  # the watcher has the port open again
        sim.scan(UNIONPAY)
        assert wait_for(lambda: len(ev.codes) == 2)
        assert [c.kind for c in ev.codes] == ["wechat", "unionpay"]
    finally:
        watcher.stop()
        sim.stop()


# --- keyboard wedge -----------------------------------------------------------------


def _type(decoder: KeyboardWedgeDecoder, text: str, start: float, gap: float) -> object:
    t = start
    for ch in text:
        assert decoder.feed(ch, t) is None
        t += gap
    return decoder.feed_enter(t)


def test_wedge_burst_is_a_scan() -> None:
    decoder = KeyboardWedgeDecoder()
    assert _type(decoder, WECHAT, 10.0, 0.008) == PaymentCode("wechat", WECHAT)
    assert _type(decoder, UNIONPAY, 20.0, 0.03) == PaymentCode("unionpay", UNIONPAY)
    assert decoder.pending == 0


def test_wedge_human_typing_is_not_a_scan() -> None:
    decoder = KeyboardWedgeDecoder()
    assert _type(decoder, WECHAT, 10.0, 0.15) is None  # a person typing the same digits
    assert _type(decoder, "1345678", 20.0, 0.005) is None  # burst too short
    # Enter pressed by a person well after a burst: not a scan.
    for i, ch in enumerate(WECHAT):
        decoder.feed(ch, 30.0 + i * 0.005)
    assert decoder.feed_enter(31.0) is None


def test_wedge_pause_splits_a_burst() -> None:
    decoder = KeyboardWedgeDecoder()
    for i, ch in enumerate(WECHAT[:9]):
        decoder.feed(ch, 1.0 + i * 0.01)
    t = 2.0  # a pause: the rest looks like a new, too short burst
    assert _type(decoder, WECHAT[9:], t, 0.01) is None


def test_wedge_invalid_burst_returns_the_error() -> None:
    decoder = KeyboardWedgeDecoder()
    result = _type(decoder, "6901234567892123", 5.0, 0.005)
    assert isinstance(result, InvalidCode)


def test_wedge_held_key_and_special_keys() -> None:
    decoder = KeyboardWedgeDecoder()
    assert _type(decoder, "1" * 40, 1.0, 0.03) is None  # auto-repeat of a held key
    for i, ch in enumerate(WECHAT[:10]):
        decoder.feed(ch, 3.0 + i * 0.005)
    decoder.feed("shift", 3.06)  # a named key breaks the burst
    for i, ch in enumerate(WECHAT[10:]):
        decoder.feed(ch, 3.065 + i * 0.005)
    assert decoder.feed("\r", 3.11) is None
    assert _type(decoder, ALIPAY, 4.0, 0.005) == PaymentCode("alipay", ALIPAY)


def test_scanner_module_does_not_import_pygame() -> None:
    code = "import sys, drivers.scanner; sys.exit('pygame' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=root,
        env={"PYTHONPATH": str(root)},
        timeout=60,
    )
    assert result.returncode == 0

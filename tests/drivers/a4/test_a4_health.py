"""printer-state-reasons → device health, and the simulated A4 printer the
demo uses behind the kiosk's A4 device (no CUPS needed here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.errors import DeviceOffline
from drivers.printer.a4_cups import A4NotReady, A4PaperJam, A4PaperOut
from drivers.printer.a4_settings import DocumentPrinterSettings
from drivers.printer.a4_status import A4Status
from kiosk.document_printer import DocumentPrinterDevice, a4_available
from protocol.devices import DeviceHealth, DeviceState, PaperState


@pytest.mark.parametrize(
    ("reasons", "state", "paper", "can_print"),
    [
        ([], DeviceState.ONLINE, PaperState.FULL, True),
        (["none"], DeviceState.ONLINE, PaperState.FULL, True),
        (["media-low-report"], DeviceState.ONLINE, PaperState.LOW, True),
        (["toner-low-warning"], DeviceState.ONLINE, PaperState.FULL, True),
        (["media-empty-error", "media-needed"], DeviceState.ONLINE, PaperState.OUT, False),
        (["media-jam-error"], DeviceState.ONLINE, PaperState.JAMMED, False),
        (["door-open"], DeviceState.USERERROR, PaperState.FULL, False),
        (["toner-empty-error"], DeviceState.HWERROR, PaperState.FULL, False),
        (["offline-report"], DeviceState.OFFLINE, PaperState.FULL, False),
    ],
)
def test_reasons_become_health(
    reasons: list[str], state: DeviceState, paper: PaperState, can_print: bool
) -> None:
    status = A4Status.of(3, reasons)
    health = status.health()
    assert (health.device, health.state, health.paper) == ("document_printer", state, paper)
    assert status.can_print is can_print


def test_a_stopped_or_refusing_printer_cannot_print() -> None:
    assert not A4Status.of(5, []).can_print
    assert not A4Status.of(3, [], accepting=False).can_print


def test_the_kiosk_device_reports_health_and_prints_on_the_sim(tmp_path: Path) -> None:
    seen: list[DeviceHealth] = []
    settings = DocumentPrinterSettings(type="sim", keep_dir=tmp_path, health_interval_s=0.2)
    device = DocumentPrinterDevice(settings, seen.append)
    closer = device.open()
    assert closer is not None
    try:
        assert seen[-1].state == DeviceState.ONLINE and a4_available(seen[-1]) == (True, "")
        device.print_pdf(b"%PDF-1.7 test", "参保证明")
        assert (tmp_path / "a4-1.pdf").read_bytes() == b"%PDF-1.7 test"
        device.driver.set_reasons("media-empty-error")
        with pytest.raises(A4PaperOut):
            device.print_pdf(b"%PDF-1.7 second", "参保证明")
        assert seen[-1].paper == PaperState.OUT
        assert a4_available(seen[-1]) == (False, "A4打印机缺纸或卡纸，暂时无法打印")
        device.driver.set_reasons("media-jam")
        with pytest.raises(A4PaperJam):
            device.print_pdf(b"%PDF-1.7 third", "参保证明")
        device.driver.set_reasons("door-open")
        with pytest.raises(A4NotReady):
            device.print_pdf(b"%PDF-1.7 fourth", "参保证明")
        assert a4_available(seen[-1]) == (False, "A4打印机暂不可用")
        # The poller notices the door closed without any job.
        device.driver.set_reasons()
        count = len(seen)
        import time

        deadline = time.monotonic() + 5
        while len(seen) == count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen[-1].state == DeviceState.ONLINE
    finally:
        closer()
    with pytest.raises(DeviceOffline):
        device.print_pdf(b"%PDF-1.7", "closed")


def test_a_terminal_without_an_a4_printer_offers_none() -> None:
    device = DocumentPrinterDevice(DocumentPrinterSettings(), lambda h: None)
    assert device.open() is None
    assert a4_available(None) == (False, "")  # no reason: the screens show no A4 button


def test_an_ipp_printer_needs_its_uri() -> None:
    with pytest.raises(ValueError, match="printer_uri"):
        DocumentPrinterSettings(type="ipp")

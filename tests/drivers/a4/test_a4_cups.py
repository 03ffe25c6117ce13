"""The A4 document printer through a real cupsd and the IPP printer peer."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import cups
import pytest

from drivers.errors import DeviceOffline
from drivers.printer.a4_cups import A4NotReady, A4PaperJam, A4PaperOut, CupsDocumentPrinter
from protocol.devices import DeviceState, PaperState
from tests.cups_peer import CupsPeer
from tests.tools import require_tool


@pytest.fixture(scope="module")
def signed_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A sealed certificate, made the way the hub makes one."""
    from hub.documents.pki import create_demo_pki
    from hub.documents.render import CertificatePage, CertificateRenderer
    from hub.documents.settings import SealSettings
    from hub.documents.signing import OfficeSeal
    from hub.services.printable import PrintLine

    base = tmp_path_factory.mktemp("seal")
    create_demo_pki(base / "ca.pem", base / "key.pem", base / "cert.pem", "兰考县社会保险中心")
    seal = OfficeSeal.open(
        SealSettings(key_file="key.pem", cert_file="cert.pem", chain_files=["ca.pem"]),
        "兰考县社会保险中心",
        Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"),
        base,
    )
    page = CertificatePage(
        title="社会保险参保证明",
        code="TESTCODE23456789",
        statement="兹证明王芳（公民身份号码：4102**********3020）参加社会保险。",
        lines=[PrintLine(label="城乡居民基本医疗保险", value="参保")],
        notes=[],
        office="兰考县社会保险中心",
        issued_on="2026年12月03日",
        valid_text="有效期至2027年03月03日",
        verify_url="http://127.0.0.1:8700/verify/TESTCODE23456789",
    )
    renderer = CertificateRenderer([Path("/usr/share/fonts/opentype/noto")])
    return seal.sign(renderer.render(page), reason="test", location="兰考县")


@pytest.fixture
def printer(cups_peer: CupsPeer) -> CupsDocumentPrinter:
    p = CupsDocumentPrinter("huimin_a4", cups_peer.printer.uri, cups_peer.server, job_timeout_s=20)
    p.open()
    return p


def test_open_creates_an_ipp_everywhere_queue(
    printer: CupsDocumentPrinter, cups_peer: CupsPeer
) -> None:
    host, port = cups_peer.server.split(":")
    queues = cups.Connection(host=host, port=int(port)).getPrinters()
    assert queues["huimin_a4"]["device-uri"] == cups_peer.printer.uri
    printer.open()  # a second open finds the queue and keeps it


def test_a_signed_pdf_arrives_byte_for_byte(
    printer: CupsDocumentPrinter, cups_peer: CupsPeer, signed_pdf: bytes
) -> None:
    assert printer.health().state == DeviceState.ONLINE
    started = time.monotonic()
    job_id = printer.print_pdf(signed_pdf, "社会保险参保证明")
    assert job_id > 0 and time.monotonic() - started < 20
    [job] = cups_peer.printer.jobs.values()
    assert job.data == signed_pdf  # raw: CUPS did not rewrite the signed file
    kept = next((cups_peer.root / "keep").glob("job-*.pdf"))
    report = subprocess.run(
        [require_tool("pdfsig"), str(kept)], capture_output=True, text=True, check=False
    ).stdout
    assert "Signature is Valid." in report and "Total document signed" in report
    text = subprocess.run(
        [require_tool("pdftotext"), str(kept), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "社会保险参保证明" in text.replace(" ", "")


def test_paper_out_is_told_before_printing_and_nothing_is_sent(
    printer: CupsDocumentPrinter, cups_peer: CupsPeer, signed_pdf: bytes
) -> None:
    cups_peer.printer.set_reasons("media-empty-error", "media-needed")
    health = printer.health()
    assert health.paper == PaperState.OUT and health.state == DeviceState.ONLINE
    with pytest.raises(A4PaperOut) as caught:
        printer.print_pdf(signed_pdf, "参保证明")
    assert caught.value.user_message == "A4打印机缺纸，暂时无法打印"
    assert cups_peer.printer.jobs == {}
    # Paper loaded: the same printer serves the next person.
    cups_peer.printer.set_reasons()
    assert printer.health().paper == PaperState.FULL
    printer.print_pdf(signed_pdf, "参保证明")
    assert len(cups_peer.printer.jobs) == 1


def test_a_jam_during_the_job_cancels_it_with_a_clear_error(
    printer: CupsDocumentPrinter, cups_peer: CupsPeer, signed_pdf: bytes
) -> None:
    cups_peer.printer.fail_next_job("media-jam-error")
    with pytest.raises(A4PaperJam):
        printer.print_pdf(signed_pdf, "参保证明")
    assert printer.health().paper == PaperState.JAMMED
    cups_peer.printer.set_reasons()
    printer.print_pdf(signed_pdf, "参保证明")  # the kiosk keeps serving


def test_warnings_and_faults_become_device_health(
    printer: CupsDocumentPrinter, cups_peer: CupsPeer, signed_pdf: bytes
) -> None:
    cups_peer.printer.set_reasons("media-low-report", "toner-low-warning")
    health = printer.health()
    assert (health.state, health.paper) == (DeviceState.ONLINE, PaperState.LOW)
    assert "toner-low" in health.detail
    printer.print_pdf(signed_pdf, "low but printing")  # low is not out
    cups_peer.printer.set_reasons("door-open")
    assert printer.health().state == DeviceState.USERERROR
    with pytest.raises(A4NotReady):
        printer.print_pdf(signed_pdf, "door open")


def test_a_printer_that_does_not_answer_is_offline(
    printer: CupsDocumentPrinter, cups_peer: CupsPeer, signed_pdf: bytes
) -> None:
    cups_peer.printer.stop()
    health = printer.health()
    assert health.state == DeviceState.OFFLINE and health.paper == PaperState.UNKNOWN
    with pytest.raises(DeviceOffline):
        printer.print_pdf(signed_pdf, "offline")


def test_cups_that_does_not_answer_is_offline(cups_peer: CupsPeer) -> None:
    from tests.cups_peer import free_port

    p = CupsDocumentPrinter("q", cups_peer.printer.uri, f"127.0.0.1:{free_port()}")
    with pytest.raises(DeviceOffline):
        p.open()


def test_jobs_may_come_from_another_thread_than_the_one_that_opened(
    printer: CupsDocumentPrinter, cups_peer: CupsPeer, signed_pdf: bytes
) -> None:
    """The kiosk opens devices on one thread and prints on its task threads."""
    import threading

    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(printer.print_pdf(signed_pdf, "t")))
    worker.start()
    worker.join(30)
    assert len(result) == 1 and len(cups_peer.printer.jobs) == 1


def test_the_kiosk_device_comes_back_when_cups_starts_after_it() -> None:
    """CUPS down when the kiosk starts: OFFLINE, no exception; CUPS up: online,
    printing, without restarting anything."""
    from drivers.printer.a4_settings import DocumentPrinterSettings
    from kiosk.document_printer import DocumentPrinterDevice
    from protocol.devices import DeviceHealth
    from tests.cups_peer import free_port, running_cups

    cups_port, printer_port = free_port(), free_port()
    seen: list[DeviceHealth] = []
    settings = DocumentPrinterSettings(
        type="ipp",
        printer_uri=f"ipp://127.0.0.1:{printer_port}/ipp/print",
        cups_server=f"127.0.0.1:{cups_port}",
        health_interval_s=0.3,
    )
    device = DocumentPrinterDevice(settings, seen.append)
    closer = device.open()
    assert closer is not None
    try:
        assert seen[-1].state == DeviceState.OFFLINE
        with pytest.raises(DeviceOffline):
            device.print_pdf(b"%PDF-1.7", "not yet")
        with running_cups(cups_port, printer_port) as peer:
            deadline = time.monotonic() + 15
            while seen[-1].state != DeviceState.ONLINE and time.monotonic() < deadline:
                time.sleep(0.1)
            assert seen[-1].state == DeviceState.ONLINE
            device.print_pdf(b"%PDF-1.7 hello", "back")
            assert [j.data for j in peer.printer.jobs.values()] == [b"%PDF-1.7 hello"]
    finally:
        closer()

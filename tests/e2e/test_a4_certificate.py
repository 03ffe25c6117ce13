"""The issue-16 journey: a real hub process, real CUPS (cupsd + the IPP
printer peer) and the kiosk with its A4 printer. A 参保证明 printed on A4 is
read back from what the printer received: the holder, the QR (decoded, it
opens /verify/<code>), a signature pdfsig trusts against the demo CA, and one
changed byte that pdfsig and /verify's SHA-256 both catch."""

from __future__ import annotations

import hashlib
import re
import subprocess
from datetime import date
from pathlib import Path

import pygame
import pytest
import requests

from kiosk.config import KioskConfig
from kiosk.devices import DeviceHub
from kiosk.events import UiQueue
from kiosk.hub_client import HubClient
from tests.cups_peer import CupsPeer, cups_peer
from tests.e2e.conftest import REPO, SERVICE_POINT, TERMINAL_NAME, HubProcess, Kiosk
from tests.tools import require_tool
from tools.headless import Harness

__all__ = ["cups_peer"]
DEMO_CA = REPO / "var/seal/demo-ca.pem"  # the demo hub made it at first start


def build_a4_kiosk(hub: HubProcess, peer: CupsPeer) -> Kiosk:
    config = KioskConfig.model_validate(
        {
            "terminal": {"name": TERMINAL_NAME, "service_point": SERVICE_POINT},
            "devices": {
                "document_printer": {
                    "type": "ipp",
                    "printer_uri": peer.printer.uri,
                    "cups_server": peer.server,
                    "job_timeout_s": 20,
                    "health_interval_s": 0.3,
                }
            },
        }
    )
    ui = UiQueue()
    url = [hub.url]
    client = HubClient(lambda: url[0], token=lambda: hub.token, timeout_s=10.0)
    devices = DeviceHub(config.devices, ui)
    h = Harness(
        config,
        hub_client=client,
        devices=devices,
        ui=ui,
        held_tasks=False,
        today=date.today,
        signing_key=hub.key,  # signs the card evidence that opens the person session
    )
    devices.start(h.app.events)
    kiosk = Kiosk(h.app, devices, hub, url, h.clock, closers=[h.close, devices.stop])
    kiosk.wait_for(lambda: devices.available("printer")[0], what="printer online")
    kiosk.key(pygame.K_RETURN)
    return kiosk


def certificate_screen(k: Kiosk, who: str = "zhang_xiulan") -> None:
    k.choose("print")
    k.choose("certificate")
    k.place_card(who)
    k.wait_for(lambda: k.screen.name == "certificate" and k.screen.data is not None, 20)


def option(k: Kiosk, name: str) -> object:
    return next(o for _, o in k.screen.numbered_options() if o.name == name)


def _pdfsig(path: Path, nss: str) -> str:
    return subprocess.run(
        [require_tool("pdfsig"), "-nssdir", nss, str(path)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout


@pytest.fixture
def nss_db(tmp_path: Path) -> str:
    certutil = require_tool("certutil")
    db = tmp_path / "nss"
    db.mkdir()
    subprocess.run([certutil, "-N", "-d", f"sql:{db}", "--empty-password"], check=True)
    trust = [certutil, "-A", "-n", "demo-ca", "-t", "C,C,C", "-i", str(DEMO_CA)]
    subprocess.run([*trust, "-d", f"sql:{db}"], check=True)
    return f"sql:{db}"


def test_a_certificate_printed_on_a4_is_genuine_and_a_changed_byte_is_caught(
    hub: HubProcess, cups_peer: CupsPeer, nss_db: str, tmp_path: Path
) -> None:
    k = build_a4_kiosk(hub, cups_peer)
    try:
        certificate_screen(k)
        k.choose("print_a4")
        k.wait_for(
            lambda: k.screen.notice is not None and "打印完成" in k.screen.notice.message,
            30,
            "A4 printed",
        )
        assert [r["title"] for r in k.journal("print_a4")] == ["社会保险参保证明"]
        [job] = cups_peer.printer.jobs.values()
        pdf = job.data
        printed = tmp_path / "printed.pdf"
        printed.write_bytes(pdf)

        text = subprocess.run(
            [require_tool("pdftotext"), str(printed), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "张秀兰" in re.sub(r"\s+", "", text)  # the holder, on their own paper
        subprocess.run(
            [require_tool("pdftoppm"), "-r", "150", "-png", str(printed), str(tmp_path / "page")],
            check=True,
        )
        qr = subprocess.run(
            [require_tool("zbarimg"), "--raw", "-q", str(tmp_path / "page-1.png")],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/verify/[A-Z2-7]{16}", qr), qr
        page = requests.get(qr, timeout=10)
        assert page.status_code == 200 and "真实有效" in page.text
        assert hashlib.sha256(pdf).hexdigest() in page.text

        report = _pdfsig(printed, nss_db)
        assert "Signature is Valid." in report and "Certificate is Trusted." in report, report

        tampered = bytearray(pdf)
        tampered[pdf.index(b"stream\n") + 40] ^= 0x01
        bad = tmp_path / "tampered.pdf"
        bad.write_bytes(bytes(tampered))
        assert "Signature is Valid." not in _pdfsig(bad, nss_db)
        assert hashlib.sha256(bytes(tampered)).hexdigest() not in page.text
    finally:
        for close in reversed(k.closers):
            close()


def test_paper_out_is_told_before_printing_and_the_phone_takes_it_once(
    hub: HubProcess, cups_peer: CupsPeer
) -> None:
    cups_peer.printer.set_reasons("media-empty-error", "media-needed")
    k = build_a4_kiosk(hub, cups_peer)
    try:
        k.wait_for(lambda: not k.devices.available("document_printer")[0], 10, "A4 paper out")
        certificate_screen(k, "wang_fang")
        a4 = option(k, "print_a4")
        assert not a4.enabled and a4.reason == "A4打印机缺纸或卡纸，暂时无法打印"  # type: ignore[attr-defined]
        reported = {d["device"]: d for d in k.devices.health_snapshot()}
        assert reported["document_printer"]["paper"] == "out"  # the heartbeat carries it

        k.choose("phone")
        k.wait_for(lambda: k.screen.name == "phone_download" and k.screen.data is not None)
        url = k.screen.data.url
        assert "/d/" in url and "wang" not in url.lower()
        first = requests.get(url, timeout=10)
        assert first.status_code == 200 and first.content.startswith(b"%PDF")
        assert requests.get(url, timeout=10).status_code == 410
        assert cups_peer.printer.jobs == {}

        # Paper loaded: the poll sees it and the button comes back.
        cups_peer.printer.set_reasons()
        k.wait_for(lambda: k.devices.available("document_printer")[0], 10, "A4 paper back")
    finally:
        for close in reversed(k.closers):
            close()


def test_a_jam_during_the_job_offers_the_alternatives_and_is_journaled(
    hub: HubProcess, cups_peer: CupsPeer
) -> None:
    k = build_a4_kiosk(hub, cups_peer)
    try:
        certificate_screen(k, "li_jianguo")
        cups_peer.printer.fail_next_job("media-jam-error")
        k.choose("print_a4")
        k.wait_for(lambda: bool(k.journal("print_a4_failed")), 30, "A4 failure journaled")
        notice = k.screen.notice.message
        assert "卡纸" in notice and "凭条" in notice and "扫码" in notice
        assert k.journal("print_a4_failed")[0]["error"] == "A4PaperJam"
        k.choose("print")  # the receipt printer still serves
        assert k.receipts(1)
    finally:
        for close in reversed(k.closers):
            close()

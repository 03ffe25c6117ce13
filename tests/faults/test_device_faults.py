"""Device faults in the middle of a journey, with the demo's simulated devices
(ID-card reader on a pty, virtual ESC/POS printer on TCP, scanner on a pty)
and a real hub process (tests/e2e fixtures). Each fault gives the person a
clear written and spoken message, and the journal gets a ``device_fault``
record naming the device and the error class or state — never personal data.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pygame

from drivers.speech import SpeechService
from drivers.speech.synth import EspeakCli
from kiosk.journal import find_personal_data
from kiosk.voice import VoiceGuide
from protocol.devices import DeviceState, PaperState
from tests.e2e.conftest import Kiosk, MakeKiosk

ZHANG_XIULAN = "zhang_xiulan"


def faults(k: Kiosk) -> list[dict[str, object]]:
    found = k.journal("device_fault")
    for data in found:
        assert find_personal_data(data) == [] and set(data) <= {"device", "error", "paper"}
    return found


def wait_fault(k: Kiosk, device: str, timeout: float = 10.0) -> dict[str, object]:
    k.wait_for(lambda: any(f["device"] == device for f in faults(k)), timeout, f"{device} fault")
    return next(f for f in faults(k) if f["device"] == device)


def test_paper_runs_out_between_the_status_check_and_the_print(make_kiosk: MakeKiosk) -> None:
    k = make_kiosk()
    k.choose("print")
    k.choose("certificate")
    k.place_card(ZHANG_XIULAN)
    k.wait_for(lambda: k.screen.name == "certificate" and k.screen.data is not None)
    assert k.devices.available("printer")[0]  # the screen checked: paper was there
    k.devices.sim_printer.set_paper(PaperState.OUT)
    k.choose("print")
    k.wait_for(lambda: k.screen.notice is not None and "缺纸" in k.screen.notice.message)
    assert "缺纸" in k.said()
    assert wait_fault(k, "printer")["error"] == "PaperOut"
    assert k.devices.sim_printer.wait_for_jobs(1, 0.5) == []  # nothing half-printed


def test_card_read_fails_mid_read(make_kiosk: MakeKiosk) -> None:
    k = make_kiosk()
    k.choose("print")
    k.choose("certificate")
    assert k.screen.name == "identify"
    sim = k.devices.sim_idcard
    sim.set_fault("read_fail", on_command=0x30)  # the SAM loses the card during the read
    card = next(c for c in k.devices._demo_cards if c.key == ZHANG_XIULAN)
    sim.place(card)
    fault = wait_fault(k, "idcard", timeout=15)
    assert fault["error"] in {"CardReadFailed", "ReaderProtocolError"}
    k.settle()
    assert k.screen.notice is not None and "身份证" in k.screen.notice.message
    assert k.screen.notice.message in k.said()
    assert k.app.session.identity is None
    sim.set_fault(None)


def test_reader_unplugged_is_told_and_journaled(make_kiosk: MakeKiosk) -> None:
    k = make_kiosk()
    k.choose("print")
    k.choose("certificate")
    assert k.screen.name == "identify"
    k.devices.sim_idcard.stop()  # the reader's USB cable pulled
    fault = wait_fault(k, "idcard", timeout=15)
    assert fault["error"] in {"offline", "nodevice"}
    k.wait_for(lambda: not k.devices.available("idcard")[0], what="reader unavailable")
    text = k.shown_text()
    assert "身份证读卡器暂不可用" in text, text
    assert k.app.session.serving  # the person can still use the social-security card


def test_scanner_garbage_while_waiting_for_a_payment_code(make_kiosk: MakeKiosk) -> None:
    k = make_kiosk()
    k.choose("pay")
    k.choose("medical")
    k.place_card(ZHANG_XIULAN)
    k.wait_for(lambda: k.screen.name == "pay_people" and k.screen.data is not None)
    k.choose("next")
    k.choose("pay_code")
    assert k.screen.name == "pay_scan"
    k.devices.sim_scanner.send_garbage(b"#%&*ABC??\r")
    assert wait_fault(k, "scanner")["error"] == "InvalidCode"
    message = k.screen.notice.message
    assert "无法识别付款码" in message and message in k.said()
    assert k.screen.flow is None  # no order was created from noise


def test_speech_engine_crash_keeps_the_kiosk_working_silently(
    make_kiosk: MakeKiosk, tmp_path: Path
) -> None:
    broken = tmp_path / "espeak-ng"
    broken.write_text("#!/bin/sh\nkill -SEGV $$\n", encoding="utf-8")
    os.chmod(broken, 0o755)
    k = make_kiosk()
    speech = SpeechService(
        cache_dir=tmp_path / "cache",
        on_health=k.devices.speech_health,
        engine=EspeakCli(str(broken)),
    )
    speech.start()
    k.closers.append(speech.close)
    k.app.voice = VoiceGuide(speech, k.app.config.speech.rate_cpm)
    assert wait_fault(k, "speech")["error"] == "hwerror"
    health = {h["device"]: h["state"] for h in k.devices.health_snapshot()}
    assert health["speech"] == DeviceState.HWERROR.value
    k.key(pygame.K_F3)  # voice guidance on: nothing to hear, nothing breaks
    k.choose("print")
    assert k.screen.name == "print_menu"
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        k.step()
    assert k.app.running and k.app.session.serving

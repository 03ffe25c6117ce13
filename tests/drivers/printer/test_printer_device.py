"""ReceiptPrinter against the VirtualPrinter over TCP: status before print, no reply = offline."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest

from drivers.errors import DeviceError, DeviceOffline, PaperOut
from drivers.printer import (
    CoverOpen,
    PrinterNotFound,
    PrinterSettings,
    Receipt,
    ReceiptPrinter,
    layout_receipt,
    open_printer,
)
from drivers.sim.escpos_decode import decode
from drivers.sim.printer import VirtualPrinter
from protocol.devices import DeviceState, PaperState
from tests.tools import require_tool

STATUS_QUERIES = b"\x10\x04\x01\x10\x04\x02\x10\x04\x04"


def printer_for(virtual: VirtualPrinter, **extra: object) -> ReceiptPrinter:
    return open_printer({"type": "sim", "port": virtual.port, "status_timeout": 0.3, **extra})


def test_receipt_reaches_the_printer_as_one_job(
    virtual_printer: VirtualPrinter, typical_receipt: Receipt
) -> None:
    printer = printer_for(virtual_printer, qr="native")
    status = printer.print_receipt(typical_receipt)
    assert status.online and status.paper is PaperState.FULL
    (job,) = virtual_printer.wait_for_jobs(1)
    decoded = decode(job)
    assert decoded.text_lines == layout_receipt(typical_receipt, 48)
    assert decoded.qr_payloads == [typical_receipt.qr]
    assert virtual_printer.status_queries == [1, 2, 4]  # asked before sending
    assert virtual_printer.raw[0].startswith(STATUS_QUERIES)


def test_paper_out_refuses_before_sending_anything(
    virtual_printer: VirtualPrinter, typical_receipt: Receipt
) -> None:
    virtual_printer.set_paper(PaperState.OUT)
    printer = printer_for(virtual_printer)
    with pytest.raises(PaperOut) as info:
        printer.print_receipt(typical_receipt)
    assert info.value.user_message == "打印机缺纸，暂时无法打印"
    virtual_printer.wait_for_jobs(1, timeout=0.5)
    assert virtual_printer.jobs == []
    assert virtual_printer.raw == [STATUS_QUERIES]  # the status queries and nothing else
    health = printer.health()
    assert (health.state, health.paper) == (DeviceState.ONLINE, PaperState.OUT)


def test_near_end_is_low_health_and_still_prints(
    virtual_printer: VirtualPrinter, typical_receipt: Receipt
) -> None:
    virtual_printer.set_paper(PaperState.LOW)
    printer = printer_for(virtual_printer)
    health = printer.health()
    assert (health.state, health.paper) == (DeviceState.ONLINE, PaperState.LOW)
    assert printer.print_receipt(typical_receipt).paper is PaperState.LOW
    assert len(virtual_printer.wait_for_jobs(1)) == 1


def test_cover_open_is_a_user_error_and_refused(
    virtual_printer: VirtualPrinter, typical_receipt: Receipt
) -> None:
    virtual_printer.set_cover_open(True)
    printer = printer_for(virtual_printer)
    assert printer.health().state is DeviceState.USERERROR
    with pytest.raises(CoverOpen):
        printer.print_receipt(typical_receipt)
    virtual_printer.set_cover_open(False)
    printer.print_receipt(typical_receipt)
    assert len(virtual_printer.wait_for_jobs(1)) == 1


def test_no_reply_is_offline_never_paper_ok(
    virtual_printer: VirtualPrinter, typical_receipt: Receipt
) -> None:
    virtual_printer.set_offline(True)
    printer = printer_for(virtual_printer)
    started = time.monotonic()
    health = printer.health()
    assert time.monotonic() - started < 2.0  # bounded by status_timeout, not the send timeout
    assert (health.state, health.paper) == (DeviceState.OFFLINE, PaperState.UNKNOWN)
    assert "no reply" in health.detail
    with pytest.raises(DeviceOffline):
        printer.print_receipt(typical_receipt)
    virtual_printer.wait_for_jobs(1, timeout=0.5)
    assert virtual_printer.jobs == []


def test_stopped_printer_is_offline_and_recovers_on_the_same_port(
    typical_receipt: Receipt,
) -> None:
    virtual = VirtualPrinter()
    port = virtual.start()
    printer = printer_for(virtual)
    assert printer.health().state is DeviceState.ONLINE
    virtual.stop()
    assert printer.health().state is DeviceState.OFFLINE
    with pytest.raises(DeviceOffline):
        printer.print_receipt(typical_receipt)
    again = VirtualPrinter(port=port)  # power back on: same printer object reconnects
    again.start()
    try:
        assert printer.health().state is DeviceState.ONLINE
        printer.print_receipt(typical_receipt)
        assert len(again.wait_for_jobs(1)) == 1
    finally:
        again.stop()


def test_test_page_prints_ruler_and_punctuation(virtual_printer: VirtualPrinter) -> None:
    printer = printer_for(virtual_printer, profile="generic-58mm", qr="image")
    printer.print_test_page()
    (job,) = virtual_printer.wait_for_jobs(1)
    decoded = decode(job)
    lines = [line.strip() for line in decoded.text_lines]
    assert "12345678901234567890123456789012" in lines
    assert "，。" in lines
    assert len(decoded.images) == 1


def test_missing_serial_port_is_nodevice() -> None:
    printer = open_printer({"type": "serial", "devfile": "/dev/huimin-no-such-printer"})
    health = printer.health()
    assert health.state is DeviceState.NODEVICE
    with pytest.raises(PrinterNotFound):
        printer.status()


def test_serial_printer_through_a_pty(tmp_path: Path, typical_receipt: Receipt) -> None:
    """The serial transport against the virtual printer, bridged by socat (pty ↔ TCP)."""
    socat = require_tool("socat")
    virtual = VirtualPrinter()
    port = virtual.start()
    link = tmp_path / "ttyPRN"
    bridge = subprocess.Popen(
        [socat, f"pty,raw,echo=0,link={link},ignoreeof", f"tcp:127.0.0.1:{port}"],
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 5
        while not link.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        printer = open_printer(
            {"type": "serial", "devfile": str(link), "baudrate": 115200, "status_timeout": 0.5}
        )
        assert printer.health().state is DeviceState.ONLINE
        printer.print_receipt(typical_receipt)
        virtual.set_paper(PaperState.OUT)
        with pytest.raises(PaperOut):
            printer.print_receipt(typical_receipt)
    finally:
        bridge.terminate()
        bridge.wait(timeout=5)
    (job,) = virtual.wait_for_jobs(1)  # socat used one TCP connection for everything
    virtual.stop()
    assert decode(job).text_lines == layout_receipt(typical_receipt, 48)  # printed once only
    assert virtual.status_queries == [1, 2, 4] * 3


def test_job_split_into_tiny_packets_with_status_queries_in_between(
    virtual_printer: VirtualPrinter, typical_receipt: Receipt
) -> None:
    """Commands cut across TCP segments are reassembled; DLE EOT between them is answered."""
    from drivers.printer import render_receipt_bytes

    data = render_receipt_bytes(typical_receipt, {"qr": "native"})
    lines = data.split(b"\n")
    segments = [line + b"\n" for line in lines[:-1]] + [lines[-1]]
    with socket.create_connection(("127.0.0.1", virtual_printer.port), timeout=5) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for segment in segments:
            for start in range(0, len(segment), 7):  # 7-byte packets split commands
                conn.sendall(segment[start : start + 7])
            if segment.endswith(b"\n"):  # a command boundary: ask for the paper sensor
                conn.sendall(b"\x10\x04\x04")
                assert conn.recv(1) == b"\x12"
    (job,) = virtual_printer.wait_for_jobs(1)
    assert job == data
    assert virtual_printer.status_queries == [4] * (len(segments) - 1)
    assert decode(job).qr_payloads == [typical_receipt.qr]


class ScriptedPrinterPort:
    """A transport that answers status queries from a script (the transport edge only)."""

    description = "scripted"

    def __init__(self, replies: dict[bytes, bytes]) -> None:
        self.replies = replies
        self.written = bytearray()
        self._pending = b""

    def open(self) -> None:
        self._pending = b""

    def write(self, data: bytes) -> None:
        self.written += data
        self._pending = self.replies.get(data, b"")

    def read(self, size: int, timeout: float) -> bytes:
        reply, self._pending = self._pending[:size], b""
        return reply

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("printer", "cause", "paper", "state", "paper_state"),
    [
        (0x12, 0x12, 0x12, DeviceState.ONLINE, PaperState.FULL),
        (0x12, 0x12, 0x1E, DeviceState.ONLINE, PaperState.LOW),
        (0x1A, 0x32, 0x72, DeviceState.ONLINE, PaperState.OUT),
        (0x1A, 0x16, 0x12, DeviceState.USERERROR, PaperState.FULL),
        (0x1A, 0x52, 0x12, DeviceState.HWERROR, PaperState.FULL),
        (0xFF, 0x12, 0x12, DeviceState.HWERROR, PaperState.UNKNOWN),  # not a status byte
    ],
)
def test_status_bytes_map_to_health(
    printer: int, cause: int, paper: int, state: DeviceState, paper_state: PaperState
) -> None:
    port = ScriptedPrinterPort(
        {
            b"\x10\x04\x01": bytes((printer,)),
            b"\x10\x04\x02": bytes((cause,)),
            b"\x10\x04\x04": bytes((paper,)),
        }
    )
    device = ReceiptPrinter(PrinterSettings(), port)
    health = device.health()
    assert (health.state, health.paper) == (state, paper_state)
    if state is not DeviceState.ONLINE or paper_state is PaperState.OUT:
        with pytest.raises(DeviceError):
            device.print_receipt(Receipt("测试"))
        assert bytes(port.written).replace(STATUS_QUERIES, b"").replace(b"\x10\x04\x01", b"") == b""

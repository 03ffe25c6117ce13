"""A small IPP/2.0 printer on 127.0.0.1: the A4 printer the tests and the demo
print to through CUPS (RFC 8010 encoding, RFC 8011 operations, PWG 5100.14
IPP Everywhere attributes).

Why not Debian's ippeveprinter: it cannot start without a running DNS-SD
daemon (avahi over the system D-Bus), it binds the wildcard address on both
IPv4 and IPv6 rather than 127.0.0.1 only, and it has no way to report a
paper jam or an open door (its web forms set tray levels and supplies only).
This peer speaks the same protocol, keeps every document it receives, and
reports any ``printer-state-reasons`` the test sets (media-empty, media-jam,
door-open, ...), as a real printer reports its sensors.

While a stopping reason is set, new jobs wait in ``processing-stopped`` (a
real printer holds the job until paper is loaded) and the printer is
``stopped``; clearing the reason completes them.
"""

from __future__ import annotations

import argparse
import struct
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# RFC 8010 §3.5 value tags
TAG_OPERATION, TAG_JOB, TAG_END, TAG_PRINTER, TAG_UNSUPPORTED = 0x01, 0x02, 0x03, 0x04, 0x05
INTEGER, BOOLEAN, ENUM = 0x21, 0x22, 0x23
RANGE, RESOLUTION = 0x33, 0x32
TEXT, NAME, KEYWORD, URI, CHARSET, LANGUAGE, MIME = 0x41, 0x42, 0x44, 0x45, 0x47, 0x48, 0x49
URI_SCHEME = 0x46
# RFC 8011 §5.4.15 operation ids
PRINT_JOB, VALIDATE_JOB, CANCEL_JOB = 0x0002, 0x0004, 0x0008
GET_JOB_ATTRIBUTES, GET_JOBS, GET_PRINTER_ATTRIBUTES = 0x0009, 0x000A, 0x000B
OPERATIONS = (
    PRINT_JOB,
    VALIDATE_JOB,
    CANCEL_JOB,
    GET_JOB_ATTRIBUTES,
    GET_JOBS,
    GET_PRINTER_ATTRIBUTES,
)
OK, BAD_REQUEST, NOT_FOUND, NOT_SUPPORTED = 0x0000, 0x0400, 0x0406, 0x0501
# job-state (RFC 8011 §5.3.7) and printer-state (§5.4.11)
JOB_PROCESSING, JOB_STOPPED, JOB_CANCELED, JOB_COMPLETED = 5, 6, 7, 9
PRINTER_IDLE, PRINTER_PROCESSING, PRINTER_STOPPED = 3, 4, 5
# Reasons with which a printer cannot print (PWG 5100.9 / RFC 8011 §5.4.12).
STOPPING = ("media-empty", "media-needed", "media-jam", "door-open", "cover-open", "offline")

Value = int | bool | str | tuple[int, int] | tuple[int, int, int]
Attr = tuple[int, str, list[Value]]


def _encode_value(tag: int, value: Value) -> bytes:
    if tag in (INTEGER, ENUM):
        assert isinstance(value, int)
        return struct.pack(">i", value)
    if tag == BOOLEAN:
        return b"\x01" if value else b"\x00"
    if tag == RANGE:
        assert isinstance(value, tuple)
        return struct.pack(">ii", value[0], value[1])
    if tag == RESOLUTION:
        assert isinstance(value, tuple) and len(value) == 3
        return struct.pack(">iib", value[0], value[1], value[2])
    return str(value).encode("utf-8")


def encode_attributes(groups: Iterable[tuple[int, list[Attr]]]) -> bytes:
    out = bytearray()
    for group_tag, attrs in groups:
        out.append(group_tag)
        for tag, name, values in attrs:
            for i, value in enumerate(values):
                raw = _encode_value(tag, value)
                key = name.encode("ascii") if i == 0 else b""  # additional value: empty name
                out += struct.pack(">BH", tag, len(key)) + key + struct.pack(">H", len(raw)) + raw
    out.append(TAG_END)
    return bytes(out)


def decode_request(body: bytes) -> tuple[int, int, dict[str, list[bytes]], bytes]:
    """(operation, request id, operation/job attributes by name, document data).
    Raises ``ValueError`` for a truncated or malformed message."""
    if len(body) < 9:
        raise ValueError("IPP message too short")
    _version, operation, request_id = struct.unpack(">HHI", body[:8])
    attrs: dict[str, list[bytes]] = {}
    pos, last = 8, ""
    while pos < len(body):
        tag = body[pos]
        pos += 1
        if tag == TAG_END:
            return operation, request_id, attrs, body[pos:]
        if tag < 0x10:  # a new attribute group
            continue
        name_len = struct.unpack(">H", body[pos : pos + 2])[0]
        name = body[pos + 2 : pos + 2 + name_len].decode("ascii")
        pos += 2 + name_len
        value_len = struct.unpack(">H", body[pos : pos + 2])[0]
        value = body[pos + 2 : pos + 2 + value_len]
        if len(value) != value_len:
            raise ValueError("IPP attribute truncated")
        pos += 2 + value_len
        last = name or last
        attrs.setdefault(last, []).append(value)
    raise ValueError("IPP message without end-of-attributes tag")


@dataclass
class PeerJob:
    job_id: int
    name: str
    data: bytes
    document_format: str
    state: int = JOB_PROCESSING
    created: float = field(default_factory=time.time)


class IppPrinterPeer:
    """The printer: ``start()`` serves on 127.0.0.1:``port`` (0 = any free),
    ``uri`` is its IPP URI, ``jobs`` what it received (also written to
    ``keep_dir`` as ``job-<id>.<ext>`` when given)."""

    def __init__(
        self, port: int = 0, keep_dir: Path | None = None, name: str = "Huimin A4"
    ) -> None:
        self.name = name
        self.keep_dir = keep_dir
        self.jobs: dict[int, PeerJob] = {}
        self._reasons: list[str] = []
        self._on_next_job: list[str] = []
        self._lock = threading.Lock()
        self._next_id = 1
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # IPP clients (libcups) expect HTTP/1.1 replies

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0") or 0)
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    body = self._read_chunked()
                else:
                    body = self.rfile.read(length)
                try:
                    reply = peer.handle(body, self.path)
                except ValueError:
                    self.send_error(400, "malformed IPP request")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/ipp")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def _read_chunked(self) -> bytes:
                data = bytearray()
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return bytes(data)
                    data += self.rfile.read(size)
                    self.rfile.readline()

            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet: the tests read the jobs, not the access log

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.uri = f"ipp://127.0.0.1:{self.port}/ipp/print"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> IppPrinterPeer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what a test steers -------------------------------------------------

    def set_reasons(self, *reasons: str) -> None:
        """Report these ``printer-state-reasons`` (none: "none"). Clearing the
        stopping ones lets waiting jobs complete."""
        with self._lock:
            self._reasons = list(reasons)
            if not self._stopped():
                for job in self.jobs.values():
                    if job.state in (JOB_PROCESSING, JOB_STOPPED):
                        job.state = JOB_COMPLETED

    def fail_next_job(self, *reasons: str) -> None:
        """Report ``reasons`` as soon as the next job arrives (paper running
        out or jamming while it prints)."""
        with self._lock:
            self._on_next_job = list(reasons)

    def _stopped(self) -> bool:
        return any(r.split("-report")[0].removesuffix("-error") in STOPPING for r in self._reasons)

    # --- IPP ---------------------------------------------------------------

    def handle(self, body: bytes, path: str) -> bytes:
        operation, request_id, attrs, data = decode_request(body)
        op_attrs: list[Attr] = [
            (CHARSET, "attributes-charset", ["utf-8"]),
            (LANGUAGE, "attributes-natural-language", ["en"]),
        ]
        with self._lock:
            if operation == GET_PRINTER_ATTRIBUTES:
                groups = [(TAG_OPERATION, op_attrs), (TAG_PRINTER, self._printer_attrs())]
                return self._reply(OK, request_id, groups)
            if operation == VALIDATE_JOB:
                return self._reply(OK, request_id, [(TAG_OPERATION, op_attrs)])
            if operation == PRINT_JOB:
                job = self._new_job(attrs, data)
                return self._reply(
                    OK, request_id, [(TAG_OPERATION, op_attrs), (TAG_JOB, self._job_attrs(job))]
                )
            job_id = _int(attrs.get("job-id"))
            if operation == GET_JOBS:
                groups = [(TAG_OPERATION, op_attrs)]
                groups += [(TAG_JOB, self._job_attrs(j)) for j in self.jobs.values()]
                return self._reply(OK, request_id, groups)
            if operation in (GET_JOB_ATTRIBUTES, CANCEL_JOB):
                found = self.jobs.get(job_id) if job_id is not None else None
                if found is None:
                    return self._reply(NOT_FOUND, request_id, [(TAG_OPERATION, op_attrs)])
                if operation == CANCEL_JOB and found.state not in (JOB_COMPLETED, JOB_CANCELED):
                    found.state = JOB_CANCELED
                return self._reply(
                    OK, request_id, [(TAG_OPERATION, op_attrs), (TAG_JOB, self._job_attrs(found))]
                )
        return self._reply(NOT_SUPPORTED, request_id, [(TAG_OPERATION, op_attrs)])

    @staticmethod
    def _reply(status: int, request_id: int, groups: list[tuple[int, list[Attr]]]) -> bytes:
        return struct.pack(">HHI", 0x0200, status, request_id) + encode_attributes(groups)

    def _new_job(self, attrs: dict[str, list[bytes]], data: bytes) -> PeerJob:
        job_id = self._next_id
        self._next_id += 1
        fmt = (attrs.get("document-format") or [b"application/octet-stream"])[0].decode()
        name = (attrs.get("job-name") or [b"untitled"])[0].decode("utf-8", "replace")
        job = PeerJob(job_id, name, data, fmt)
        if self._on_next_job:
            self._reasons, self._on_next_job = self._on_next_job, []
        job.state = JOB_STOPPED if self._stopped() else JOB_COMPLETED
        self.jobs[job_id] = job
        if self.keep_dir is not None:
            ext = "pdf" if data.startswith(b"%PDF") else "prn"
            (self.keep_dir / f"job-{job_id}.{ext}").write_bytes(data)
        return job

    def _job_attrs(self, job: PeerJob) -> list[Attr]:
        reasons = {
            JOB_COMPLETED: "job-completed-successfully",
            JOB_CANCELED: "job-canceled-by-user",
            JOB_STOPPED: "printer-stopped",
            JOB_PROCESSING: "job-printing",
        }[job.state]
        return [
            (INTEGER, "job-id", [job.job_id]),
            (URI, "job-uri", [f"{self.uri}/{job.job_id}"]),
            (ENUM, "job-state", [job.state]),
            (KEYWORD, "job-state-reasons", [reasons]),
            (NAME, "job-name", [job.name or "untitled"]),
            (INTEGER, "job-impressions-completed", [1 if job.state == JOB_COMPLETED else 0]),
        ]

    def _printer_attrs(self) -> list[Attr]:
        stopped = self._stopped()
        busy = any(j.state == JOB_STOPPED for j in self.jobs.values())
        state = PRINTER_STOPPED if stopped else PRINTER_PROCESSING if busy else PRINTER_IDLE
        a4 = "iso_a4_210x297mm"
        return [
            (URI, "printer-uri-supported", [self.uri]),
            (KEYWORD, "uri-security-supported", ["none"]),
            (KEYWORD, "uri-authentication-supported", ["none"]),
            (NAME, "printer-name", [self.name]),
            (TEXT, "printer-info", [self.name]),
            (TEXT, "printer-make-and-model", ["Huimin IPP A4 peer"]),
            (ENUM, "printer-state", [state]),
            (KEYWORD, "printer-state-reasons", list[Value](self._reasons or ["none"])),
            (BOOLEAN, "printer-is-accepting-jobs", [True]),
            (KEYWORD, "ipp-versions-supported", ["1.1", "2.0"]),
            (ENUM, "operations-supported", list(OPERATIONS)),
            (CHARSET, "charset-configured", ["utf-8"]),
            (CHARSET, "charset-supported", ["utf-8"]),
            (LANGUAGE, "natural-language-configured", ["en"]),
            (LANGUAGE, "generated-natural-language-supported", ["en"]),
            (MIME, "document-format-default", ["application/pdf"]),
            (
                MIME,
                "document-format-supported",
                ["application/pdf", "image/pwg-raster", "application/octet-stream"],
            ),
            (KEYWORD, "pdl-override-supported", ["attempted"]),
            (INTEGER, "printer-up-time", [int(time.monotonic())]),
            (KEYWORD, "compression-supported", ["none"]),
            (
                INTEGER,
                "queued-job-count",
                [sum(j.state == JOB_STOPPED for j in self.jobs.values())],
            ),
            (KEYWORD, "media-default", [a4]),
            (KEYWORD, "media-supported", [a4]),
            (KEYWORD, "media-ready", [] if "media-empty" in self._reasons else [a4]),
            (KEYWORD, "sides-supported", ["one-sided"]),
            (KEYWORD, "sides-default", ["one-sided"]),
            (BOOLEAN, "color-supported", [False]),
            (KEYWORD, "print-color-mode-supported", ["monochrome"]),
            (KEYWORD, "print-color-mode-default", ["monochrome"]),
            (KEYWORD, "output-bin-supported", ["face-down"]),
            (KEYWORD, "output-bin-default", ["face-down"]),
            (RANGE, "copies-supported", [(1, 1)]),
            (INTEGER, "copies-default", [1]),
            (KEYWORD, "job-creation-attributes-supported", ["copies", "media", "sides"]),
            (RESOLUTION, "printer-resolution-supported", [(300, 300, 3)]),
            (RESOLUTION, "printer-resolution-default", [(300, 300, 3)]),
            (RESOLUTION, "pwg-raster-document-resolution-supported", [(300, 300, 3)]),
            (KEYWORD, "pwg-raster-document-type-supported", ["sgray_8"]),
            (KEYWORD, "pwg-raster-document-sheet-back", ["normal"]),
        ]


def _int(values: list[bytes] | None) -> int | None:
    if not values or len(values[0]) != 4:
        return None
    return int(struct.unpack(">i", values[0])[0])


def main() -> None:
    parser = argparse.ArgumentParser(
        description="An IPP A4 printer on 127.0.0.1 that keeps its jobs"
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--keep-dir", type=Path, required=True)
    args = parser.parse_args()
    args.keep_dir.mkdir(parents=True, exist_ok=True)
    peer = IppPrinterPeer(args.port, args.keep_dir).start()
    print(peer.uri, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        peer.stop()


if __name__ == "__main__":
    main()

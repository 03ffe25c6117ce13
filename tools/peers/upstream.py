"""A loopback provincial platform (the peer of ``hub.backoffice.upstream``).

It verifies each batch's signature (``X-Huimin-Signature``: HMAC over
``timestamp\\n`` + body, SHA-256 or SM3), validates the body against the
documented schema (``UpstreamBatch``), keeps each batch id once and counts:
batches sent again (``duplicate_batches``) and records that arrived in more
than one batch (``duplicate_records``: must stay 0). On demand it refuses
the next ``fail_next`` batches (503) or stalls ``stall_next_s`` seconds
before answering (a timeout on the hub's side).

Run alone for the demo: ``python -m tools.peers.upstream --port 8791 --key-file KEY``.
"""

from __future__ import annotations

import argparse
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hub.backoffice.sms import sign
from hub.backoffice.upstream import UpstreamBatch


@dataclass
class PlatformLog:
    batches: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    duplicate_batches: int = 0
    duplicate_records: int = 0
    bad_signatures: int = 0
    invalid: int = 0
    refused: int = 0
    fail_next: int = 0
    stall_next_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class UpstreamPeer:
    """The receiver on 127.0.0.1 (a free port unless given), in a thread."""

    def __init__(self, key: bytes, alg: str = "sha256", port: int = 0) -> None:
        self.log = PlatformLog()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                stall = peer.take_stall()
                if stall:
                    time.sleep(stall)
                status, reply = peer.handle(
                    body,
                    self.headers.get("X-Huimin-Timestamp", ""),
                    self.headers.get("X-Huimin-Signature", ""),
                )
                data = json.dumps(reply).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the hub gave up waiting (a stall): it will resend

            def log_message(self, *args: Any) -> None:
                return

        self._key = key
        self._alg = alg
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/upstream/batches"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def take_stall(self) -> float:
        with self.log.lock:
            stall, self.log.stall_next_s = self.log.stall_next_s, 0.0
            return stall

    def handle(self, body: bytes, stamp: str, signature: str) -> tuple[int, dict[str, Any]]:
        with self.log.lock:
            if self.log.fail_next > 0:
                self.log.fail_next -= 1
                self.log.refused += 1
                return 503, {"ok": False}
            expected = sign(self._key, stamp, body, self._alg) if stamp.isdigit() else ""
            if not expected or not hmac.compare_digest(expected, signature):
                self.log.bad_signatures += 1
                return 401, {"ok": False, "error": "bad signature"}
            try:
                batch = UpstreamBatch.model_validate_json(body)
            except ValidationError:
                self.log.invalid += 1
                return 400, {"ok": False, "error": "invalid batch"}
            if batch.batch_id in self.log.batches:
                self.log.duplicate_batches += 1
                return 200, {"ok": True, "duplicate": True}
            records = [r.model_dump(mode="json") for r in batch.records]
            self.log.batches[batch.batch_id] = records
            for record in records:
                if record["record_id"] in self.log.records:
                    self.log.duplicate_records += 1
                self.log.records[record["record_id"]] = record
            return 200, {"ok": True}

    def __enter__(self) -> UpstreamPeer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--key-file", required=True)
    args = parser.parse_args()
    key = Path(args.key_file).read_text(encoding="utf-8").strip().encode("utf-8")
    with UpstreamPeer(key, port=args.port) as peer:
        print(f"upstream platform peer on {peer.url}", flush=True)
        try:
            while True:
                time.sleep(5)
                with peer.log.lock:
                    print(f"{len(peer.log.records)} records in {len(peer.log.batches)} batches",
                          flush=True)  # fmt: skip
        except KeyboardInterrupt:
            return


if __name__ == "__main__":
    main()

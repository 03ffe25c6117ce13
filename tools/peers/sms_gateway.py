"""A loopback SMS gateway (the peer of ``hub.backoffice.sms.HttpSmsGateway``).

It checks what a provider checks: the HMAC signature over ``timestamp\\n`` +
body (``X-Huimin-Signature``, SHA-256 or SM3), a timestamp within five
minutes, a known template. It keeps each accepted message once by its
``message_id`` and counts the duplicates it was sent; ``fail_next(n)`` makes
it answer 503 to the next ``n`` requests (an outage), ``refuse_all`` 503 until
cleared.

Run alone for the demo: ``python -m tools.peers.sms_gateway --port 8790
--key-file var/sms-gateway.key`` (prints each message, phones masked).
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

from hub.backoffice.sms import sign

_MAX_SKEW_S = 300


@dataclass
class GatewayLog:
    """What the gateway saw (thread-safe through ``lock``)."""

    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # by message_id
    duplicates: int = 0
    bad_signatures: int = 0
    refused: int = 0
    fail_next: int = 0
    refuse_all: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class SmsGatewayPeer:
    """The gateway on 127.0.0.1 (a free port unless given), in a thread."""

    def __init__(
        self, key: bytes, template_id: str = "huimin_progress", alg: str = "sha256", port: int = 0
    ) -> None:
        self.log = GatewayLog()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status, reply = peer.handle(
                    body,
                    self.headers.get("X-Huimin-Timestamp", ""),
                    self.headers.get("X-Huimin-Signature", ""),
                )
                data = json.dumps(reply, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return  # quiet: the bodies carry phone numbers

        self._key = key
        self._template = template_id
        self._alg = alg
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms/send"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def handle(self, body: bytes, stamp: str, signature: str) -> tuple[int, dict[str, Any]]:
        with self.log.lock:
            if self.log.refuse_all or self.log.fail_next > 0:
                self.log.fail_next = max(0, self.log.fail_next - 1)
                self.log.refused += 1
                return 503, {"ok": False, "error": "service unavailable"}
            expected = sign(self._key, stamp, body, self._alg) if stamp.isdigit() else ""
            if not expected or not hmac.compare_digest(expected, signature):
                self.log.bad_signatures += 1
                return 401, {"ok": False, "error": "bad signature"}
            if abs(time.time() - int(stamp)) > _MAX_SKEW_S:
                return 401, {"ok": False, "error": "stale timestamp"}
            message = json.loads(body)
            if message.get("template_id") != self._template:
                return 400, {"ok": False, "error": "unknown template"}
            message_id = str(message["message_id"])
            if message_id in self.log.messages:
                self.log.duplicates += 1
                return 200, {"ok": True, "duplicate": True}
            self.log.messages[message_id] = message
            return 200, {"ok": True}

    def texts(self) -> list[str]:
        with self.log.lock:
            return [m["params"]["text"] for m in self.log.messages.values()]

    def __enter__(self) -> SmsGatewayPeer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--key-file", required=True)
    parser.add_argument("--template", default="huimin_progress")
    args = parser.parse_args()
    key = Path(args.key_file).read_text(encoding="utf-8").strip().encode("utf-8")
    with SmsGatewayPeer(key, args.template, port=args.port) as peer:
        print(f"SMS gateway peer on {peer.url}", flush=True)
        seen = 0
        try:
            while True:
                time.sleep(1)
                texts = peer.texts()
                for text in texts[seen:]:
                    print(text, flush=True)
                seen = len(texts)
        except KeyboardInterrupt:
            return


if __name__ == "__main__":
    main()

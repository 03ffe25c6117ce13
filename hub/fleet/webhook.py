"""Alert webhook: POST each alert as JSON to ``settings.webhook_url``.

Sending happens on one background thread with a bounded queue and a short
timeout, so a slow or dead receiver never blocks a request; failures are
logged and dropped (the console stays the source of truth).
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import urllib.request
from typing import Any

log = logging.getLogger(__name__)

_TIMEOUT_S = 5.0
_QUEUE_LIMIT = 1000


class WebhookSender:
    """Delivers alert payloads to one URL in the background."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(_QUEUE_LIMIT)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def send(self, payload: dict[str, Any]) -> None:
        """Queue ``payload``; returns at once. Dropped (and logged) when the queue is full."""
        if not self.url:
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="fleet-webhook", daemon=True)
                self._thread.start()
        try:
            self._queue.put_nowait(payload)
        except queue.Full:
            log.warning("alert webhook queue full; dropping %s", payload.get("kind"))

    def close(self, wait_s: float = 1.0) -> None:
        """Ask the sender thread to stop after the queued payloads; waits at
        most ``wait_s`` (a daemon thread: shutdown is never held up longer)."""
        with self._lock:
            thread = self._thread
        if thread is not None and thread.is_alive():
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(None)
            thread.join(timeout=wait_s)

    def _run(self) -> None:
        while True:
            payload = self._queue.get()
            if payload is None:
                return
            self._post(payload)

    def _post(self, payload: dict[str, Any]) -> None:
        assert self.url is not None
        body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
                response.read(1024)
        except Exception as exc:  # noqa: BLE001 - supervision point: a webhook must never crash the hub
            log.warning("alert webhook to %s failed: %s", self.url, exc)

"""Remote commands from the county console: parse by the kind's schema
(``protocol.commands``, the same the console checked them with), execute
through the host, acknowledge with the result (DESIGN §5 "remote commands").

Acknowledgements that cannot be sent (hub down) are kept and sent again; a
command the hub delivers again after it ran is not run twice, its stored
result is acknowledged instead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from kiosk.agent.host import AgentHost
from kiosk.hub_client import HubClient, HubStatusError
from kiosk.outbox import HubRefused, HubUnavailable
from protocol.commands import (
    ACK_RESULT_KEPT,
    COMMANDS_PATH,
    SCREENSHOT_PATH,
    CommandAck,
    CommandArgsError,
    CommandKind,
    UnknownCommandKind,
    command_kind,
    parse_command_args,
)

log = logging.getLogger(__name__)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# The kinds the app executes on its UI thread; the agent takes the screenshot itself.
HOST_KINDS = frozenset(CommandKind) - {CommandKind.SCREENSHOT}

T = TypeVar("T")


class HostTimeout(Exception):
    """The app did not answer within the command timeout."""


def call_with_timeout(call: Callable[[], T], timeout_s: float) -> T:
    """Run ``call`` in its own daemon thread; its result, or its exception re-raised.

    Raises :class:`HostTimeout` when it has not returned within ``timeout_s``
    (the thread is abandoned: a hung UI must not hang the agent). One thread per
    call: commands are rare, and no idle worker outlives :meth:`FleetAgent.stop`.
    """
    box: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            box["value"] = call()
        except Exception as exc:  # noqa: BLE001 - re-raised in the waiting thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="fleet-host", daemon=True).start()
    if not done.wait(timeout_s):
        raise HostTimeout(f"no answer from the app within {timeout_s:g} s")
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


_REMEMBERED_RESULTS = 256


class CommandRunner:
    """Runs commands one by one; the screenshot waits in its own thread.

    ``command_timeout_s`` bounds each host call; ``screenshot_wait_s`` bounds how
    long a screenshot waits for personal data to leave the screen, retrying every
    ``screenshot_retry_s``.
    """

    def __init__(
        self,
        transport: HubClient,
        host: AgentHost,
        halt: threading.Event,
        *,
        command_timeout_s: float = 10.0,
        screenshot_wait_s: float = 300.0,
        screenshot_retry_s: float = 2.0,
    ) -> None:
        self.transport = transport
        self.host = host
        self.halt = halt
        self.command_timeout_s = command_timeout_s
        self.screenshot_wait_s = screenshot_wait_s
        self.screenshot_retry_s = screenshot_retry_s
        self._lock = threading.Lock()
        self._results: OrderedDict[str, tuple[bool, str]] = OrderedDict()
        self._unsent_acks: OrderedDict[str, tuple[bool, str]] = OrderedDict()
        self._screenshot_ids: list[str] = []
        self._screenshot_thread: threading.Thread | None = None
        self.refused: str | None = None  # set when an ack met a 401 in a worker thread

    def handle(self, command: Mapping[str, Any]) -> None:
        """Execute one ``{id, kind, args}`` command and acknowledge it.

        Raises :class:`HubRefused` when the acknowledgement meets a revoked credential.
        """
        command_id = str(command.get("id", ""))
        kind = str(command.get("kind", ""))
        if not command_id:
            log.warning("command without id ignored (kind %r)", kind)
            return
        with self._lock:
            done = self._results.get(command_id)
        if done is not None:  # delivered again: acknowledge, do not run twice
            self._ack(command_id, *done)
            return
        try:
            known = command_kind(kind)
            args = parse_command_args(known, command.get("args"))
        except UnknownCommandKind:
            result = (False, f"unknown command {kind!r}")
        except CommandArgsError as exc:
            result = (False, f"bad args for {kind}: {exc.field or 'args'}: {exc}")
        else:
            if known is CommandKind.SCREENSHOT:
                self._queue_screenshot(command_id)
                return
            result = self._call_host(
                lambda: self.host.run_command(known, args, self.command_timeout_s), kind
            )
        log.info(
            "command %s %s → %s %s", command_id, kind, "ok" if result[0] else "failed", result[1]
        )
        self._finish(command_id, result)

    def _call_host(self, call: Callable[[], tuple[bool, str]], kind: str) -> tuple[bool, str]:
        try:
            ok, text = call_with_timeout(call, self.command_timeout_s + 1.0)
        except HostTimeout as exc:
            return False, f"{kind}: {exc}"
        except Exception as exc:  # supervision point: a host bug must not kill the agent
            log.exception("host failed on command %s", kind)
            return False, f"{kind}: {type(exc).__name__}: {exc}"
        return bool(ok), str(text)

    def _finish(self, command_id: str, result: tuple[bool, str]) -> None:
        with self._lock:
            self._results[command_id] = result
            while len(self._results) > _REMEMBERED_RESULTS:
                self._results.popitem(last=False)
        self._ack(command_id, *result)

    def _ack(self, command_id: str, ok: bool, result: str) -> None:
        try:
            self.transport.post_json(
                f"{COMMANDS_PATH}/{command_id}/ack",
                CommandAck(ok=ok, result=result[:ACK_RESULT_KEPT]).model_dump(),
            )
        except HubStatusError as exc:
            if 400 <= exc.status < 500:  # unknown command or bad ack: resending cannot help
                log.warning("ack of command %s dropped: %s", command_id, exc)
                with self._lock:
                    self._unsent_acks.pop(command_id, None)
                return
            log.info("ack of command %s kept for later: %s", command_id, exc)
            with self._lock:
                self._unsent_acks[command_id] = (ok, result)
            return
        except HubUnavailable as exc:
            log.info("ack of command %s kept for later: %s", command_id, exc)
            with self._lock:
                self._unsent_acks[command_id] = (ok, result)
            return
        with self._lock:
            self._unsent_acks.pop(command_id, None)

    def retry_acks(self) -> None:
        """Send acknowledgements that failed before (oldest first)."""
        with self._lock:
            pending = list(self._unsent_acks.items())
        for command_id, (ok, result) in pending:
            self._ack(command_id, ok, result)

    @property
    def unsent_acks(self) -> int:
        with self._lock:
            return len(self._unsent_acks)

    # -- screenshot ------------------------------------------------------------------------

    def _queue_screenshot(self, command_id: str) -> None:
        with self._lock:
            self._screenshot_ids.append(command_id)
            if self._screenshot_thread is not None and self._screenshot_thread.is_alive():
                return  # the waiting screenshot answers this command too
            self._screenshot_thread = threading.Thread(
                target=self._screenshot_worker, name="fleet-screenshot", daemon=True
            )
            self._screenshot_thread.start()

    def _screenshot_worker(self) -> None:
        try:
            result = self._take_and_upload()
        except HubRefused as exc:
            self.refused = str(exc)
            return
        except Exception as exc:  # supervision point: report, never crash the agent
            log.exception("screenshot failed")
            result = (False, f"screenshot: {type(exc).__name__}: {exc}")
        with self._lock:
            ids, self._screenshot_ids = self._screenshot_ids, []
        for command_id in ids:
            try:
                self._finish(command_id, result)
            except HubRefused as exc:
                self.refused = str(exc)
                return

    def _take_and_upload(self) -> tuple[bool, str]:
        # Personal data is never photographed: wait for the session to end
        # (PIPL Art. 28; DESIGN §3 "nothing of the previous person visible").
        deadline = time.monotonic() + self.screenshot_wait_s
        while not self.halt.is_set():
            png: bytes | None = None
            if not self.host.personal_data_on_screen():
                try:
                    png = call_with_timeout(self.host.take_screenshot, self.command_timeout_s)
                except HostTimeout as exc:
                    return False, f"screenshot: {exc}"
            if png is not None:
                if not png.startswith(PNG_SIGNATURE):
                    return False, "screenshot: the app returned something that is not a PNG"
                self.transport.upload(SCREENSHOT_PATH, png, "image/png")
                return True, f"screenshot uploaded ({len(png)} bytes)"
            if time.monotonic() >= deadline:
                break
            self.halt.wait(self.screenshot_retry_s)
        return False, (
            f"personal data stayed on screen for {self.screenshot_wait_s:g} s; no screenshot taken"
        )

    def close(self) -> None:
        """Wait (up to 1 s) for a screenshot waiter to notice the halt."""
        thread = self._screenshot_thread
        if thread is not None:
            thread.join(1.0)

"""The parts of a screen's context that are adapters over the app's own:
tasks (``ctx.tasks``), devices (``ctx.devices``) and the clock
(``ctx.clock``). See :mod:`kiosk.ui.context` for the whole context.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from drivers.errors import DeviceError
from kiosk.fault_log import FaultLog
from kiosk.ports import Devices, Recorder
from kiosk.session import Session
from kiosk.tasks import TaskRunner
from kiosk.ui.context import Done, Failed


class ScreenTasks:
    """``ctx.tasks``: work off the UI thread, its result back on it (kiosk.tasks)."""

    def __init__(self, runner: TaskRunner) -> None:
        self.runner = runner

    def run(self, work: Callable[[], Any], on_done: Done, on_error: Failed) -> None:
        self.runner.submit(work, on_done, on_error)


class ScreenDevices:
    """``ctx.devices``: whether a device can serve, and printing (journaled first,
    counted for the session's statistics, faults recorded)."""

    def __init__(
        self,
        devices: Devices,
        session: Session,
        *,
        recorder: Recorder,
        runner: TaskRunner,
        faults: FaultLog,
    ) -> None:
        self.devices = devices
        self.session = session
        self.recorder = recorder
        self.runner = runner
        self.faults = faults

    def available(self, device: str) -> tuple[bool, str]:
        return self.devices.available(device)

    def print_receipt(self, receipt: Any, on_done: Done, on_error: Failed) -> None:
        self.recorder.record("print", {"title": getattr(receipt, "title", "")})

        def done(result: Any) -> None:
            self.session.pages_printed += 1
            on_done(result)

        def failed(exc: Exception) -> None:
            if isinstance(exc, DeviceError):
                self.faults.error(exc, "printer")
            on_error(exc)

        self.runner.submit(lambda: self.devices.print_receipt(receipt), done, failed)

    def print_document(
        self, fetch: Callable[[], bytes], title: str, on_done: Done, on_error: Failed
    ) -> None:
        """Fetch a signed PDF (``fetch``, a flow call) and print it on A4, on a
        task thread; journaled before, a failure journaled as a fault."""
        self.recorder.record("print_a4", {"title": title})

        def work() -> None:
            self.devices.print_document(fetch(), title)

        def done(result: Any) -> None:
            self.session.pages_printed += 1
            on_done(result)

        def failed(exc: Exception) -> None:
            self.recorder.record("print_a4_failed", {"title": title, "error": type(exc).__name__})
            if isinstance(exc, DeviceError):
                self.faults.error(exc, "document_printer")
            on_error(exc)

        self.runner.submit(work, done, failed)


class LocalClock:
    """``ctx.clock``: dates as the terminal's place sees them."""

    def __init__(self, timezone: str, today: Callable[[], date] = date.today) -> None:
        self.zone = ZoneInfo(timezone)
        self._today = today

    def today(self) -> date:
        return self._today()

    def local_now(self) -> datetime:
        return datetime.now(self.zone)

    def now_text(self) -> str:
        return self.local_now().strftime("%Y-%m-%d %H:%M")

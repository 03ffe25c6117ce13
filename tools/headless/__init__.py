"""The headless kiosk: one :class:`Harness` for the tests, the accessibility
audit and the benchmarks, with its fakes (:mod:`tools.headless.fakes`, the
hub among them at its JSON boundary), text tracing for the audit and the
real hub in-process (:class:`~tools.headless.sample_hub.SampleHubClient`)."""

from __future__ import annotations

from tools.headless.fakes import (
    CANARY_ID,
    CANARY_NAME,
    FakeClock,
    FakeDevices,
    FakeHub,
    HeldTasks,
    RecordingRecorder,
    canary_identity,
    sample_identity,
)
from tools.headless.harness import (
    AUDIT_TODAY,
    AUDIT_WINDOW,
    DEFAULT_CONFIG,
    REPO_ROOT,
    FrameClock,
    Harness,
    fonts,
)
from tools.headless.sample_hub import SampleHubClient

__all__ = [
    "AUDIT_TODAY",
    "AUDIT_WINDOW",
    "CANARY_ID",
    "CANARY_NAME",
    "DEFAULT_CONFIG",
    "REPO_ROOT",
    "FakeClock",
    "FakeDevices",
    "FakeHub",
    "FrameClock",
    "Harness",
    "HeldTasks",
    "RecordingRecorder",
    "SampleHubClient",
    "canary_identity",
    "fonts",
    "sample_identity",
]

"""The accessibility audit (``python -m kiosk.audit``) and the headless kiosk it drives.

Public face: :func:`run_audit` → :class:`AuditReport`; :func:`table`;
:class:`Harness` (a real app with fake clock, devices, hub and speech,
also used by the accessibility tests); the thresholds in
:mod:`kiosk.audit.checks`.
"""

from __future__ import annotations

from kiosk.audit.checks import ELDER, HIGH_CONTRAST, STANDARD, Thresholds
from kiosk.audit.harness import Harness, sample_identity
from kiosk.audit.report import table
from kiosk.audit.run import MODES, AuditReport, run_audit

__all__ = [
    "ELDER",
    "HIGH_CONTRAST",
    "MODES",
    "STANDARD",
    "AuditReport",
    "Harness",
    "Thresholds",
    "run_audit",
    "sample_identity",
    "table",
]

"""The accessibility audit (``python -m tools.audit``): every screen of every
flow, in every mode, checked from the pixels the real app draws.

A tool beside the product, not part of it: it drives the headless kiosk
(:class:`tools.headless.Harness`) against the real hub in-process.

Public face: :func:`run_audit` → :class:`AuditReport`; :func:`table`;
:data:`MODES`; the thresholds in :mod:`tools.audit.checks`.
"""

from __future__ import annotations

from tools.audit.checks import ELDER, HIGH_CONTRAST, STANDARD, Thresholds
from tools.audit.report import table
from tools.audit.run import MODES, AuditReport, run_audit

__all__ = [
    "ELDER",
    "HIGH_CONTRAST",
    "MODES",
    "STANDARD",
    "AuditReport",
    "Thresholds",
    "run_audit",
    "table",
]

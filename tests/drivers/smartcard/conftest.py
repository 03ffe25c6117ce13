"""Fixtures for the smart-card tests; the helpers live in pcsc_fixtures.py (unique
module name, so test modules can import its classes without clashing with other
folders' conftest modules)."""

from pcsc_fixtures import pcscd, vpcd_card  # type: ignore[import-not-found]

__all__ = ["pcscd", "vpcd_card"]

"""The A4 printer tests run against real CUPS (:mod:`tests.cups_peer`)."""

from tests.cups_peer import cups_peer

__all__ = ["cups_peer"]

"""Signed terminal releases (DESIGN §10): bundles of the terminal software
with their dependency wheels, described and signed with The Update Framework
(python-tuf), and served to the terminals with HTTP range requests.

Public face: :class:`ReleaseRepository` (the TUF metadata and targets on
disk), :func:`build_bundle` (code + wheels → one tar.gz), :func:`router`
(the terminal-facing routes) and ``python -m hub release …`` (hub/releases/cli.py).
"""

from hub.releases.bundle import BUNDLE_MANIFEST, build_bundle
from hub.releases.repository import (
    OFFLINE_ROLES,
    ONLINE_ROLES,
    ReleaseInfo,
    ReleaseRepository,
    RepositoryError,
)

__all__ = [
    "BUNDLE_MANIFEST",
    "OFFLINE_ROLES",
    "ONLINE_ROLES",
    "ReleaseInfo",
    "ReleaseRepository",
    "RepositoryError",
    "build_bundle",
]

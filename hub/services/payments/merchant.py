"""Reading the secrets of the real payment channels (see hub/merchant_settings.py)

Secrets (private keys, the APIv3 key) live in files outside the repository and
outside hub.toml, readable by the hub's user only: a file that group or others
may read is refused, like ssh refuses a private key with loose modes. Their
contents are never logged nor put in an error message; the messages name the
setting's key path and the file.
"""

from __future__ import annotations

import stat
from pathlib import Path


class MerchantSecretError(Exception):
    """A secret file is missing, unreadable, too open or malformed; ``problems``
    lists each, with its key path (``hub.wechat.private_key_file: ...``)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def read_secret(path: str | Path, key: str, problems: list[str]) -> bytes | None:
    """The bytes of secret file ``path``, or ``None`` with a problem appended.

    Refused: a missing or unreadable file, one that is not a regular file, one
    that group or others may read or write (mode & 0o077).
    """
    p = Path(path)
    try:
        info = p.stat()
    except OSError as exc:
        problems.append(f"{key}: {p}: {exc.strerror or 'cannot read'}")
        return None
    if not stat.S_ISREG(info.st_mode):
        problems.append(f"{key}: {p}: not a regular file")
        return None
    if info.st_mode & 0o077:
        problems.append(
            f"{key}: {p}: mode {stat.S_IMODE(info.st_mode):04o} lets others read the secret "
            "(chmod 600, owned by the hub's user)"
        )
        return None
    try:
        return p.read_bytes()
    except OSError as exc:
        problems.append(f"{key}: {p}: {exc.strerror or 'cannot read'}")
        return None


def read_public(path: str | Path, key: str, problems: list[str]) -> bytes | None:
    """The bytes of a public (non-secret) file, or ``None`` with a problem appended."""
    p = Path(path)
    try:
        return p.read_bytes()
    except OSError as exc:
        problems.append(f"{key}: {p}: {exc.strerror or 'cannot read'}")
        return None

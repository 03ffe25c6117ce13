"""Log lines that leave the terminal: masked first (ID, card and phone
numbers keep only their ends, as on receipts: ``4101**********1234``), cut
to a time window, capped in size. Used for the rollback reason's last lines
and for the remote logs an operator asks for."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

_ID_X = re.compile(r"(?<![0-9A-Za-z])([0-9]{4})[0-9]{13}([0-9]{0}[Xx])(?![0-9A-Za-z])")
_LONG = re.compile(r"(?<![0-9A-Za-z])[0-9](?:[ -]?[0-9]){15,18}(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")
# Log lines start with an ISO time (the supervisor's and the app's format).
_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})")
MAX_UPLOAD = 512 * 1024


def _mask_long(match: re.Match[str]) -> str:
    digits = re.sub(r"[ -]", "", match.group(0))
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def mask_text(text: str) -> str:
    """``text`` with every ID, card, payment-code and mobile number masked."""
    text = _ID_X.sub(lambda m: m.group(1) + "*" * 13 + m.group(2), text)
    text = _LONG.sub(_mask_long, text)
    return _PHONE.sub(lambda m: m.group(1) + "****" + m.group(2), text)


def tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of ``path``, masked ('' when there is none)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            data = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return mask_text("\n".join(data.splitlines()[-lines:]))


def lines_between(paths: Iterable[Path], since: datetime | None, until: datetime) -> str:
    """The lines of ``paths`` stamped within [since, until] (continuation
    lines follow their stamped line), masked and capped at ``MAX_UPLOAD``."""
    low = since.strftime("%Y-%m-%d %H:%M:%S") if since else ""
    high = until.strftime("%Y-%m-%d %H:%M:%S")
    kept: list[str] = []
    for path in paths:
        try:
            text = path.read_text("utf-8", errors="replace")
        except OSError:
            continue
        inside = False
        for line in text.splitlines():
            stamp = _STAMP.match(line)
            if stamp:
                when = stamp.group(1).replace("T", " ")
                inside = low <= when <= high
            if inside:
                kept.append(line)
    out = mask_text("\n".join(kept))
    return out[-MAX_UPLOAD:]

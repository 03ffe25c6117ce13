"""Forgetting the enrolment code once the terminal has enrolled (issue 17).

The code is a one-time secret: once the hub has exchanged it for the
terminal's own credential, nothing should keep it. Run as root by
``huimin-forget-code.service`` when the credential appears; the
configuration keeps its owner, group and mode.
"""

from __future__ import annotations

import logging
import tomllib

import tomli_w

from kiosk.provisioning.apply import Layout, write_file

log = logging.getLogger(__name__)


def forget_code(layout: Layout | None = None) -> bool:
    """Blank ``hub.enrolment_code`` once the credential exists; True when it changed
    the file. An empty code is the kiosk's "none" (kiosk/agent/fleet.py)."""
    layout = layout or Layout()
    if not layout.credential.exists() or not layout.config.exists():
        return False
    document = tomllib.loads(layout.config.read_text(encoding="utf-8"))
    hub = document.get("hub", {})
    if not hub.get("enrolment_code"):
        return False
    hub["enrolment_code"] = ""
    stat = layout.config.stat()
    group = layout.group if layout.group is not None else None
    write_file(layout.config, tomli_w.dumps(document).encode(), stat.st_mode & 0o777, group)
    log.info("enrolled: the enrolment code is forgotten")
    return True

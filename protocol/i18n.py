"""The gettext marker shared by every layer.

A msgid is marked where it is written (drivers, the hub's service errors,
screens) and translated where it is shown (the kiosk's ``Translator``).
``scripts/i18n.py`` finds every ``N_("…")`` wherever it stands.
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark a string for extraction without translating it now."""
    return message

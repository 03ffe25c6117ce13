"""Detects values that look like personal data: an ID number (居民身份证, GB 11643),
a bank card number (PAN) or a payment code (付款码). The journal refuses them
unless sealed (kiosk.sealed); the fleet agent redacts them from heartbeats.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from kiosk.sealed import is_sealed


class PersonalDataError(ValueError):
    """A value looks like an ID number, card number or payment code.

    Seal it with :class:`kiosk.sealed.Sealer` if it really must be kept. The
    message names the field, never the value.
    """


# 16–19 digits, optionally grouped by single spaces or dashes: a bank card number
# (PAN), an 18-digit 居民身份证 number or an 18-digit 付款码. Boundaries are ASCII
# letters and digits so "HM2026…" order numbers pass while "卡号6222…" is caught.
_LONG_NUMBER = re.compile(r"(?<![0-9A-Za-z])[0-9](?:[ -]?[0-9]){15,18}(?![0-9A-Za-z])")
# An ID number whose check character is X (GB 11643).
_ID_NUMBER_X = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[Xx](?![0-9A-Za-z])")


def _looks_personal(text: str) -> str | None:
    if is_sealed(text):
        return None
    if _ID_NUMBER_X.search(text):
        return "ID number"
    if _LONG_NUMBER.search(text):
        return "card number, ID number or payment code"
    return None


def find_personal_data(value: object, path: str = "data") -> list[str]:
    """Describe every field of ``value`` (nested dicts, lists, strings, ints, keys)
    that looks like personal data, e.g. ``["data.card (card number, ...)"]``.

    Sealed tokens are accepted. The descriptions never contain the values.
    """
    found: list[str] = []
    if isinstance(value, str):
        what = _looks_personal(value)
        if what:
            found.append(f"{path} ({what})")
    elif isinstance(value, int) and not isinstance(value, bool):
        what = _looks_personal(str(value))
        if what:
            found.append(f"{path} ({what})")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            key_text = str(key)
            if _looks_personal(key_text):
                found.append(f"{path}.<key> (personal data in a field name)")
                key_text = "<key>"
            found.extend(find_personal_data(item, f"{path}.{key_text}"))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found.extend(find_personal_data(item, f"{path}[{index}]"))
    return found

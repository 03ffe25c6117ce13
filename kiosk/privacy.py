"""Masking rules for personal data on screen, paper and in logs.

Government receipts keep the first 4 and last 4 characters of an ID number
(specs/payments-and-privacy.md); bank cards show at most the first 6 and
last 4 digits; phones the first 3 and last 4; names keep the first and last
character.
"""

from __future__ import annotations

import re

# Digit boundaries, not \b: in "卡号6222…" there is no word boundary between
# the Chinese text and the digits, and the number must still be found.
ID_NUMBER_RE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
PAN_RE = re.compile(r"(?<![0-9])[0-9]{16,19}(?![0-9])")


def _mask_middle(value: str, keep_head: int, keep_tail: int) -> str:
    if len(value) <= keep_head + keep_tail:
        return "*" * len(value)
    return value[:keep_head] + "*" * (len(value) - keep_head - keep_tail) + value[-keep_tail:]


def mask_id_number(id_number: str) -> str:
    """``410225194103152422`` → ``4102**********2422``."""
    return _mask_middle(id_number, 4, 4)


def mask_pan(pan: str) -> str:
    """First 6 and last 4 digits of a bank card number."""
    return _mask_middle(pan, 6, 4)


def mask_phone(phone: str) -> str:
    return _mask_middle(phone, 3, 4)


def mask_name(name: str) -> str:
    """``张秀兰`` → ``张*兰``; ``王芳`` → ``王*``."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def redact(text: str) -> str:
    """Mask every ID-number- or card-number-shaped run in free text (for logs)."""
    text = ID_NUMBER_RE.sub(lambda m: mask_id_number(m.group()), text)
    return PAN_RE.sub(lambda m: mask_pan(m.group()), text)

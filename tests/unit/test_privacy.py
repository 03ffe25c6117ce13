"""Masking rules (payments-and-privacy.md) and the log redaction behind them."""

from __future__ import annotations

import logging

from kiosk.privacy import mask_id_number, mask_name, mask_pan, mask_phone, redact
from main import RedactingFilter


def test_masks() -> None:
    assert mask_id_number("410225194103152422") == "4102**********2422"
    assert mask_pan("6217001234567890122") == "621700*********0122"
    assert mask_phone("13800381234") == "138****1234"
    assert mask_name("张秀兰") == "张*兰"
    assert mask_name("王芳") == "王*"
    assert mask_name("欧阳秀英") == "欧**英"


def test_redact_finds_numbers_next_to_chinese_text() -> None:
    text = "卡号6217001234567890122，证件410225194103152422号，x41022519410315242X"
    out = redact(text)
    assert "6217001234567890122" not in out and "621700*********0122" in out
    assert "410225194103152422" not in out and "4102**********2422" in out
    assert "41022519410315242X" not in out


def test_redact_leaves_short_numbers() -> None:
    assert redact("受理编号 20261122000123，金额400元") == "受理编号 20261122000123，金额400元"


def test_log_lines_are_redacted(caplog: object) -> None:
    logger = logging.getLogger("huimin.test.privacy")
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Keep()
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    try:
        logger.warning("card %s read for %s", "6217001234567890122", "410225194103152422")
    finally:
        logger.removeHandler(handler)
    assert records == ["card 621700*********0122 read for 4102**********2422"]

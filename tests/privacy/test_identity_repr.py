"""An Identity shown in a log line, an assertion or a traceback is masked."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from kiosk.session import Identity

ID_NUMBER = "410225197707071235"
NAME = "欧阳金丝雀"
ADDRESS = "河南省兰考县东坝头镇张庄村9组9号"


def test_identity_repr_and_log_lines_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    person = Identity("idcard", NAME, ID_NUMBER, date(1977, 7, 7), address=ADDRESS)
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").debug("identity %s in %r", person, [person])
    for text in (repr(person), str(person), f"{[person]}", caplog.text):
        assert ID_NUMBER not in text and NAME not in text and ADDRESS not in text
        assert "4102**********1235" in text and "欧***雀" in text

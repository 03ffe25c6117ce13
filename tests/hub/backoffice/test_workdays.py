"""Working days on the official calendar: holidays off, 调休 weekend days on."""

from __future__ import annotations

from datetime import date

import pytest

from hub.backoffice.workdays import add_working_days, is_working_day, working_days_between


def test_holidays_and_make_up_days_of_the_2026_notice() -> None:
    assert not is_working_day(date(2026, 10, 1))  # 国庆节, a Thursday
    assert not is_working_day(date(2026, 10, 7))  # 国庆 holiday, a Wednesday
    assert is_working_day(date(2026, 10, 10))  # 调休上班, a Saturday
    assert is_working_day(date(2026, 2, 14))  # 春节调休, a Saturday
    assert not is_working_day(date(2026, 10, 11))  # an ordinary Sunday
    assert is_working_day(date(2026, 10, 12))  # an ordinary Monday


def test_a_limit_runs_over_national_day_and_its_make_up_saturday() -> None:
    # 9-30 (1), 10-1..10-7 off, 10-8 (2), 10-9 (3), Sat 10-10 (4), 10-12 (5):
    # a Monday–Friday count would say 10-06, in the middle of the holiday.
    assert add_working_days(date(2026, 9, 29), 5) == date(2026, 10, 12)
    assert working_days_between(date(2026, 9, 29), date(2026, 10, 10)) == 4
    assert working_days_between(date(2026, 9, 29), date(2026, 10, 11)) == 4
    assert working_days_between(date(2026, 10, 12), date(2026, 10, 1)) == 0
    assert add_working_days(date(2026, 9, 29), 0) == date(2026, 9, 29)


def test_a_negative_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2026, 9, 29), -1)

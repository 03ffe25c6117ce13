"""Working days on the Chinese official calendar (法定节假日 and 调休).

Promised time limits (承诺时限) count working days: Monday to Friday, minus the
public holidays the State Council announces each year, plus the weekend days
it makes working days to bridge them (调休上班). The dates come from the
maintained ``holidays`` package (its ``China`` calendar carries each year's
notice, and ``weekend_workdays`` the make-up days), never from a table here.

Counting rule: the day of acceptance is not counted; the N-th working day
after it is the last day of an N-day limit.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

_MAX_SCAN_DAYS = 3660  # a bound on every walk: ten years of calendar days


@lru_cache(maxsize=16)
def _calendar(year: int) -> holidays.HolidayBase:
    return holidays.China(years=year)


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day on the official calendar."""
    return bool(_calendar(day.year).is_working_day(day))


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself for 0).

    Raises :class:`ValueError` for a negative count.
    """
    if days < 0:
        raise ValueError("a time limit cannot be negative")
    day = start
    remaining = days
    for _ in range(_MAX_SCAN_DAYS):
        if remaining == 0:
            return day
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    raise ValueError("time limit longer than the calendar scan")


def working_days_between(start: date, end: date) -> int:
    """Working days in (``start``, ``end``]: 0 when ``end`` is not after ``start``."""
    count = 0
    day = start
    for _ in range(_MAX_SCAN_DAYS):
        if day >= end:
            return count
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    raise ValueError("period longer than the calendar scan")

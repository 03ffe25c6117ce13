"""Daily windows (protocol.updates.Windows) read on the terminal's clock:
is it maintenance time, should the screen be on, is a reboot due."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from protocol.updates import Windows


def _at(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def within(now: datetime, start: str, end: str) -> bool:
    """Whether ``now`` is in the daily window [start, end). A window may wrap
    midnight (22:00–02:00); ``start == end`` means the whole day."""
    if start == end:
        return True
    t, a, b = now.time(), _at(start), _at(end)
    return a <= t < b if a < b else (t >= a or t < b)


def in_maintenance(windows: Windows, now: datetime) -> bool:
    return within(now, windows.maintenance_start, windows.maintenance_end)


def screen_should_be_on(windows: Windows, now: datetime) -> bool:
    """On during opening hours [screen_on, screen_off); always on when unset."""
    if windows.screen_on is None or windows.screen_off is None:
        return True
    return within(now, windows.screen_on, windows.screen_off)


def reboot_due(windows: Windows, now: datetime, last_boot: datetime) -> bool:
    """Whether the scheduled reboot time has come since ``last_boot``."""
    if windows.reboot_at is None:
        return False
    today = datetime.combine(now.date(), _at(windows.reboot_at), now.tzinfo)
    due = today if today <= now else today - timedelta(days=1)
    return last_boot < due <= now

"""Deadline arithmetic shared by the web application and the scheduler.

The appeal rule of the brief: the window is 8 calendar days after notification, the day of
notification excluded; when the last day falls on a Saturday, Sunday or Belgian public holiday
it moves to the next working day.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _belgian_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("BE", years=year).keys())


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a Belgian public holiday."""
    return day.weekday() < 5 and day not in _belgian_holidays(day.year)


def next_working_day(day: date) -> date:
    """``day`` itself when it is a working day, otherwise the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def appeal_deadline(notified_on: date, days: int = 8) -> date:
    """The last day on which an appeal may be lodged against a negative advice notified on ``notified_on``."""
    return next_working_day(notified_on + timedelta(days=days))

"""The application's clock. Everything that asks "what time is it" asks here, so tests move time
(``time-machine``) and jobs accept an explicit ``now`` instead of reading the wall clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """The calendar date in Belgium's timezone is what deadlines count in."""
    return datetime.now(UTC).astimezone(BRUSSELS).date()


def local_date(moment: datetime) -> date:
    return moment.astimezone(BRUSSELS).date()


def day_start(day: date) -> datetime:
    """Midnight in Brussels at the start of ``day``, in UTC: a file entered a state on or before ``day`` when
    its ``state_changed_at`` is before ``day_start(day + 1)``."""
    return datetime.combine(day, time(), BRUSSELS).astimezone(UTC)


def entered_before(on: date, days: int) -> datetime:
    """Cut-off for "``days`` calendar days have passed since entering the state" (the workflow's rule)."""
    return day_start(on - timedelta(days=days) + timedelta(days=1))

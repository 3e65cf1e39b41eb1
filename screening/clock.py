"""The application's clock. Everything that asks "what time is it" asks here, so tests move time
(``time-machine``) and jobs accept an explicit ``now`` instead of reading the wall clock."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """The calendar date in Belgium's timezone is what deadlines count in."""
    from zoneinfo import ZoneInfo

    return datetime.now(UTC).astimezone(ZoneInfo("Europe/Brussels")).date()


def local_date(moment: datetime) -> date:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Europe/Brussels")).date()

"""A job's schedule in words, in the reader's language: "every day at 02:00", "every 5 seconds",
"Monday to Friday at 07:00". The crontab or interval expression stays the configuration; this is how the
jobs page says it. An expression these rules do not cover is shown as written."""

from __future__ import annotations

import re

from babel.dates import get_day_names
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from screening.config import _INTERVAL

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NUMBER = re.compile(r"\d{1,2}")
_EVERY_N_MINUTES = re.compile(r"\*/([1-9]\d?)")


def _day_index(text: str) -> int | None:
    """Monday 0 .. Sunday 6, from a crontab day (``mon`` or 0-7, Sunday being 0 or 7)."""
    text = text.lower()
    if text in _DAYS:
        return _DAYS.index(text)
    if text.isdigit() and int(text) <= 7:
        return (int(text) - 1) % 7
    return None


def _day_name(index: int) -> str:
    return str(get_day_names("wide", locale=get_locale() or "en")[index])


def schedule_in_words(expression: str) -> str:
    """``expression`` (crontab or ``every N seconds|minutes``) said in words; empty: "off"."""
    expression = " ".join(expression.split())
    if not expression:
        return _("off")
    interval = _INTERVAL.fullmatch(expression)
    if interval is not None:
        count = int(interval[1])
        if interval[2].lower() == "second":
            return ngettext("every second", "every %(num)d seconds", count)
        return ngettext("every minute", "every %(num)d minutes", count)
    fields = expression.split(" ")
    if len(fields) != 5:
        return expression
    minute, hour, day, month, weekday = fields
    if month != "*":
        return expression
    if hour == "*" and day == "*" and weekday == "*":
        if minute == "*":
            return ngettext("every minute", "every %(num)d minutes", 1)
        every = _EVERY_N_MINUTES.fullmatch(minute)
        if every is not None:
            return ngettext("every minute", "every %(num)d minutes", int(every[1]))
        return expression
    if not (_NUMBER.fullmatch(minute) and _NUMBER.fullmatch(hour)) or int(minute) > 59 or int(hour) > 23:
        return expression
    at = f"{int(hour):02d}:{int(minute):02d}"
    if day == "*" and weekday == "*":
        return _("every day at %(time)s", time=at)
    if weekday == "*" and _NUMBER.fullmatch(day) and 1 <= int(day) <= 31:
        return _("on day %(day)d of every month at %(time)s", day=int(day), time=at)
    if day != "*":
        return expression
    first, dash, last = weekday.partition("-")
    start, end = _day_index(first), _day_index(last) if dash else None
    if start is None or (dash and end is None):
        return expression
    if end is None:
        return _("every %(day)s at %(time)s", day=_day_name(start), time=at)
    return _("%(first)s to %(last)s at %(time)s", first=_day_name(start), last=_day_name(end), time=at)

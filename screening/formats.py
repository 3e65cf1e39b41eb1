"""Dates in the user's language and timezone, as Flask-Babel formats them, at a fraction of the cost.

This is the one place times become text for people: pages (the ``|moment`` and ``|day`` filters), mail,
PDFs and CSV exports all format through it. The zone is ``[site] timezone`` (Europe/Brussels by default;
the database keeps UTC) and the locale is the reader's language in its Belgian variant (British for
English): a 24-hour clock and the day before the month, as Belgian readers write them.

Babel's ``format_datetime`` looks the locale's CLDR pattern up and walks it field by field on every call:
about 20 µs, a millisecond for a list of 50 rows, as much as the rest of the page's rendering. A locale's
pattern never changes while the application runs, so here it is compiled once per (locale, width) into a
``%``-template and one small function per field; names (months, AM/PM) are taken from Babel itself, and any
field not handled here is still formatted by Babel. The output is identical to Flask-Babel's
(``tests/test_formats.py`` compares them over many dates in every offered language).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import (
    DateTimeFormat,
    format_date,
    format_datetime,
    get_date_format,
    get_datetime_format,
    get_time_format,
)
from flask_babel import get_locale, get_timezone
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext

#: The widths compiled here; others go through Flask-Babel unchanged.
WIDTHS = frozenset({"short", "medium", "long"})

_Field = Callable[[date | time | datetime], str]
_Formatter = Callable[[Any], str]
_FIELD = re.compile(r"%\((\w+)\)s")

#: The regional variant of a language without a territory: what a reader in Belgium expects.
REGIONAL = {"en": "en_GB", "nl": "nl_BE", "fr": "fr_BE", "de": "de_BE"}


@lru_cache(maxsize=32)
def _regional(name: str) -> Locale:
    locale = Locale.parse(name)
    if locale.territory is None and locale.language in REGIONAL:
        return Locale.parse(REGIONAL[locale.language])
    return locale


def formatting_locale(language: str | Locale | None = None) -> Locale:
    """The locale dates are written in for ``language`` (default: the current user's): its Belgian variant
    (British for English) when it names no territory, so "en" reads "15 Mar 2026, 00:30:00", not "12:30 AM"."""
    return _regional(str(language or get_locale() or "en"))


def _number(attribute: str, length: int) -> _Field:
    return lambda value: "%0*d" % (length, getattr(value, attribute))  # noqa: UP031 - Babel's own zero padding


def _field(key: str, locale: Locale) -> _Field:
    """One pattern field as a function of the value: the common ones directly, the rest through Babel."""
    char, length = key[0], len(key)
    if char == "y" and length != 2:
        return _number("year", length)
    if char in "dHms":
        return _number({"d": "day", "H": "hour", "m": "minute", "s": "second"}[char], length)
    if char == "h":
        return lambda value: "%0*d" % (length, value.hour % 12 or 12)  # noqa: UP031
    if char in "ML":
        if length <= 2:
            return _number("month", length)
        names = [DateTimeFormat(date(2000, month, 1), locale)[key] for month in range(1, 13)]
        return lambda value: names[value.month - 1]
    if char == "a":
        periods = [DateTimeFormat(time(hour), locale)[key] for hour in (0, 12)]
        return lambda value: periods[value.hour >= 12]
    return lambda value: DateTimeFormat(value, locale)[key]


def _compile(template: str, locale: Locale) -> Callable[[date | time | datetime], str]:
    fields = [(key, _field(key, locale)) for key in dict.fromkeys(_FIELD.findall(template))]

    def apply(value: date | time | datetime) -> str:
        return template % {key: field(value) for key, field in fields}

    return apply


@lru_cache(maxsize=64)
def _date_formatter(locale: Locale, width: str) -> Callable[[date], str]:
    """A calendar date's text, made once per distinct day: a list shows many moments of a few days, and a
    date pattern has only date fields."""
    return lru_cache(maxsize=4096)(_compile(get_date_format(width, locale=locale).format, locale))


@lru_cache(maxsize=64)
def _datetime_formatter(locale: Locale, width: str) -> Callable[[datetime], str]:
    """Babel's recipe: the locale's datetime pattern with the time in {0} and the date in {1}."""
    combined = get_datetime_format(width, locale=locale).replace("'", "")
    time_part = _compile(get_time_format(width, locale=locale).format, locale)
    date_part = _date_formatter(locale, width)

    def apply(value: datetime) -> str:
        return combined.replace("{0}", time_part(value)).replace("{1}", date_part(value.date()))

    return apply


def _zone_shift() -> Callable[[datetime], datetime]:
    """Moves a moment to the site's timezone (Flask-Babel's default, from ``[site] timezone``; naive values are UTC).

    A pytz zone's offset is looked up once per hour of UTC (:func:`_hour_offset`), not per moment: its
    ``astimezone`` and ``normalize`` cost more than the formatting itself, for the same answer."""
    zone = get_timezone()
    normalize = getattr(zone, "normalize", None)  # pytz zones need it after astimezone

    def shift(value: datetime) -> datetime:
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        if normalize is not None:
            utc = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not UTC else value.replace(tzinfo=None)
            offset = _hour_offset(zone, utc.replace(minute=0, second=0, microsecond=0))
            if offset is not None:
                return (utc + offset[0]).replace(tzinfo=offset[1])
            return normalize(value.astimezone(zone))  # type: ignore[no-any-return]
        return value.astimezone(zone)

    return shift


@lru_cache(maxsize=100_000)
def _hour_offset(zone: Any, hour: datetime) -> tuple[timedelta, Any] | None:
    """The offset and the tzinfo a pytz ``zone`` gives a whole hour of (naive) UTC, or None if it changes within
    the hour (a transition off the hour, as in some zones' early history): then each moment is looked up."""
    first = zone.normalize(hour.replace(tzinfo=UTC).astimezone(zone))
    last = zone.normalize(
        (hour + timedelta(minutes=59, seconds=59, microseconds=999_999)).replace(tzinfo=UTC).astimezone(zone)
    )
    if first.tzinfo is not last.tzinfo:
        return None
    return first.utcoffset(), first.tzinfo


def moment_formatter(width: str = "medium", language: str | None = None) -> Callable[[datetime | None], str]:
    """:func:`format_moment` for the current (or the given) language and the site's timezone, looked up once:
    a list page takes one and formats a moment per row with it."""
    locale = formatting_locale(language)
    shift = _zone_shift()
    if width not in WIDTHS:
        return lambda value: format_datetime(shift(value), width, locale=locale) if isinstance(value, datetime) else ""
    compiled = _datetime_formatter(locale, width)
    return lambda value: compiled(shift(value)) if isinstance(value, datetime) else ""


def day_formatter(width: str = "medium", language: str | None = None) -> Callable[[date | datetime | None], str]:
    """:func:`format_day` for the current (or the given) language and the site's timezone, looked up once."""
    locale = formatting_locale(language)
    shift = _zone_shift()
    if width not in WIDTHS:

        def babel_day(value: date | datetime | None) -> str:
            if value is None:
                return ""
            return format_date(shift(value) if isinstance(value, datetime) else value, width, locale=locale)

        return babel_day
    compiled = _date_formatter(locale, width)

    def day(value: date | datetime | None) -> str:
        if value is None:
            return ""
        return compiled(shift(value).date() if isinstance(value, datetime) else value)

    return day


def format_day(value: date | datetime | None, width: str = "medium", language: str | None = None) -> str:
    """A calendar date (``12 Mar 2026``); a datetime is first moved to the site's timezone."""
    return day_formatter(width, language)(value)


def format_moment(value: datetime | None, width: str = "medium", language: str | None = None) -> str:
    """A moment (``12 Mar 2026, 09:41:07``) in the site's timezone and the user's (or the given) language."""
    return moment_formatter(width, language)(value)


def _per_render(eval_ctx: EvalContext, name: str, make: Callable[[], _Formatter]) -> _Formatter:
    """The formatter for this template render, made on first use: the language and timezone cannot change
    within a render, and looking them up cost more than the formatting itself."""
    cache: dict[str, _Formatter] | None = getattr(eval_ctx, "_screening_formatters", None)
    if cache is None:
        cache = {}
        eval_ctx._screening_formatters = cache  # type: ignore[attr-defined]
    formatter = cache.get(name)
    if formatter is None:
        formatter = cache[name] = make()
    return formatter


@pass_eval_context
def day_filter(eval_ctx: EvalContext, value: date | datetime | None) -> str:
    """``{{ value|day }}``: :func:`format_day` at medium width."""
    return _per_render(eval_ctx, "day", day_formatter)(value)  # type: ignore[arg-type]


@pass_eval_context
def moment_filter(eval_ctx: EvalContext, value: datetime | None) -> str:
    """``{{ value|moment }}``: :func:`format_moment` at medium width."""
    return _per_render(eval_ctx, "moment", moment_formatter)(value)  # type: ignore[arg-type]

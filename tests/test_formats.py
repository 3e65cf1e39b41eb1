"""The compiled date formats (screening.formats) print exactly what Flask-Babel prints."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from babel import Locale
from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from flask import Flask
from flask_babel import Babel, force_locale, get_timezone

from screening.formats import day_formatter, format_day, format_moment, formatting_locale, moment_formatter


def format_datetime(value: datetime, width: str = "medium") -> str:
    """Babel's own text for the current language's regional variant, in the site's zone."""
    return babel_datetime(value, width, tzinfo=get_timezone(), locale=formatting_locale())


def format_date(value: date | datetime, width: str = "medium") -> str:
    if isinstance(value, datetime):
        return babel_date(value.astimezone(get_timezone()), width, locale=formatting_locale())
    return babel_date(value, width, locale=formatting_locale())


LOCALES = ["en", "nl", "fr", "de", "en_GB", "ar", "ja"]
WIDTHS = ["short", "medium", "long", "full"]


def _moments(count: int = 120) -> list[datetime]:
    rng = random.Random(7)
    start = datetime(1999, 12, 31, 23, 30, tzinfo=UTC)
    moments = [start + timedelta(seconds=rng.randrange(0, 40 * 365 * 86_400)) for _ in range(count)]
    # Each side of the summer-time changes of Brussels and New York in 2026 (offsets are cached per hour).
    changes = [datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)]
    changes += [datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC)]
    edges = [change + timedelta(seconds=step) for change in changes for step in (-3601, -1, 0, 1, 3599)]
    return [*moments, *edges, datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC), datetime(2026, 6, 30, 12, 0, 5, tzinfo=UTC)]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Brussels", "America/New_York"])
def test_same_text_as_flask_babel(zone: str) -> None:
    app = Flask("formats")
    Babel(app, default_timezone=zone)
    with app.test_request_context("/"):
        for locale in LOCALES:
            with force_locale(locale):
                for width in WIDTHS:
                    moment, day = moment_formatter(width), day_formatter(width)
                    for value in _moments():
                        assert moment(value) == format_datetime(value, width), (locale, width, value)
                        assert day(value) == format_date(value, width), (locale, width, value)
                        assert day(value.date()) == format_date(value.date(), width), (locale, width, value)


def test_empty_values_and_naive_moments() -> None:
    app = Flask("formats")
    Babel(app)
    with app.test_request_context("/"):
        assert format_moment(None) == "" and format_day(None) == ""
        assert format_moment(date(2026, 1, 2)) == ""  # a date is not a moment
        naive = datetime(2026, 3, 4, 5, 6, 7)
        assert format_moment(naive) == format_datetime(naive.replace(tzinfo=UTC), "medium")
        assert format_day(date(2026, 3, 4)) == "4 Mar 2026"


def test_belgian_readers_get_the_regional_variant_and_the_site_zone() -> None:
    """English reads "15 Mar 2026, 00:30:00" in Brussels for 23:30 UTC, never "Mar 14" or "11:30 PM"."""
    app = Flask("formats")
    Babel(app, default_timezone="Europe/Brussels")
    late = datetime(2026, 3, 14, 23, 30, tzinfo=UTC)
    with app.test_request_context("/"):
        assert formatting_locale("en") == Locale.parse("en_GB")
        assert formatting_locale("nl") == Locale.parse("nl_BE") and formatting_locale("ja") == Locale.parse("ja")
        assert format_moment(late) == "15 Mar 2026, 00:30:00"
        assert format_day(late) == "15 Mar 2026"
        assert format_moment(late, language="nl") == "15 mrt 2026, 00:30:00"
        assert format_moment(late, "long", language="fr").startswith("15 mars 2026")
        assert format_day(late, "long", language="nl") == "15 maart 2026"


def test_filters_follow_the_language_of_each_render() -> None:
    """The filters keep their formatter for one render only: a mail in Dutch after a page in English."""
    from flask import render_template_string

    from screening.formats import day_filter, moment_filter

    app = Flask("formats")
    Babel(app)
    app.jinja_env.filters.update(day=day_filter, moment=moment_filter)
    moment = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    template = "{{ value|day }} | {{ value|moment }} | {{ value.date()|day }}"
    with app.test_request_context("/"):
        english = render_template_string(template, value=moment)
        with force_locale("nl"):
            dutch = render_template_string(template, value=moment)
        assert english == f"{format_date(moment)} | {format_datetime(moment)} | {format_date(moment.date())}"
        with force_locale("nl"):
            assert dutch == f"{format_date(moment)} | {format_datetime(moment)} | {format_date(moment.date())}"
        assert english != dutch

"""The compiled date formats (screening.formats) print exactly what Flask-Babel prints."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask_babel import Babel, force_locale, format_date, format_datetime

from screening.formats import day_formatter, format_day, format_moment, moment_formatter

LOCALES = ["en", "nl", "fr", "de", "en_GB", "ar", "ja"]
WIDTHS = ["short", "medium", "long", "full"]


def _moments(count: int = 120) -> list[datetime]:
    rng = random.Random(7)
    start = datetime(1999, 12, 31, 23, 30, tzinfo=UTC)
    moments = [start + timedelta(seconds=rng.randrange(0, 40 * 365 * 86_400)) for _ in range(count)]
    return [*moments, datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC), datetime(2026, 6, 30, 12, 0, 5, tzinfo=UTC)]


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
        assert format_moment(naive) == format_datetime(naive, "medium")
        assert format_day(date(2026, 3, 4)) == "Mar 4, 2026"


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

"""The list's fast paths give what the general ones gave: its query parameters read without webargs, its
moments as ISO text from SQL, the token's row and the list's rows on the DBAPI cursor, its language without
Flask-Babel's ``Locale`` objects (docs/benchmarks-pages.md, "The API's list")."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from flask_babel import get_locale
from sqlalchemy import literal, select
from werkzeug.exceptions import HTTPException

from screening.api import views
from screening.api.auth import _LOAD, _Row
from screening.db import Prepared, UTCDateTime, db, iso_utc

QUERIES = [
    "", "limit=50", "limit=1", "limit=200", "limit=050", "limit=201", "limit=0", "limit=-1", "limit=abc",
    "limit=+5", "limit=%205", "limit=5%20", "limit=5.0", "limit=5_0", "limit=%D9%A5", "limit=5&limit=7",
    "limit=", "state=positive", "state=draft&limit=3", "state=bogus", "state=", "state=a&state=b",
    "cursor=", "cursor=abc", "cursor=" + "a" * 200, "cursor=" + "a" * 201, "unknown=1", "unknown=1&limit=0",
    "updated_since=2020-01-01T00:00:00Z", "updated_since=2020-01-01T00:00:00", "updated_since=yesterday",
    "limit=3&state=in_review&cursor=xyz",
    # hostile clients: NUL bytes and numbers past 64 bits
    "limit=%00", "limit=5%00", "limit=9223372036854775808", "limit=" + "9" * 40, "state=positive%00",
    "cursor=%00abc", "unknown=%00",
]  # fmt: skip


def _outcome(app, query: str, parse) -> object:
    with app.test_request_context(f"/api/v1/applications?{query}"):
        try:
            return parse()
        except HTTPException as error:
            return error.code, getattr(error, "data", {}).get("messages")


@pytest.mark.parametrize("query", QUERIES)
def test_the_list_reads_its_query_as_webargs_does(app, query):
    assert _outcome(app, query, views.list_query) == _outcome(app, query, views._webargs_query)


MOMENTS = [
    datetime(2026, 12, 2, 10, 0, 0, 123456, tzinfo=UTC),
    datetime(2026, 12, 2, 10, 0, 0, tzinfo=UTC),  # no microseconds: orjson writes none
    datetime(2026, 1, 31, 23, 59, 59, 100, tzinfo=UTC),
    datetime(1999, 7, 1, 0, 0, 0, 120000, tzinfo=UTC),
]


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_moment_as_iso_text_from_sql_is_what_orjson_writes(app, moment):
    value = literal(moment, UTCDateTime())
    with app.app_context():
        rows = Prepared(select(iso_utc(value), iso_utc(literal(None, UTCDateTime())))).rows(db.session.connection(), {})
        db.session.rollback()
    assert rows == [(orjson.dumps(moment).decode().strip('"'), None)]


def test_prepared_rows_are_bound_and_read_through_the_columns_types(app):
    moment = datetime(2026, 12, 2, 10, 0, 0, 5, tzinfo=UTC)
    with app.app_context():
        statement = Prepared(select(literal(moment, UTCDateTime()).label("at"), literal(True).label("yes")))
        rows = statement.rows(db.session.connection(), {})
        db.session.rollback()
    assert statement.keys == ("at", "yes")
    assert rows == [(moment, True)]


def test_the_token_rows_names_are_its_statements():
    assert _Row._fields == _LOAD.keys


@pytest.mark.parametrize(
    "header", ["", "nl", "fr-BE,fr;q=0.9", "de", "de, nl;q=0.5", "en-GB", "*", "xx;q=bad", "nl-BE;q=0,fr;q=0.1"]
)
def test_the_answers_language_is_flask_babels(app, header):
    with app.test_request_context("/api/v1/applications", headers={"Authorization": "Bearer scr_x",
                                                                    "Accept-Language": header}):  # fmt: skip
        assert views._locale() == str(get_locale())


@pytest.mark.parametrize(
    ("query", "field", "detail"),
    [
        ("limit=abc", "limit", "Give a number from 1 to 200."),
        ("limit=0", "limit", "Give a number from 1 to 200."),
        ("updated_since=yesterday", "updated_since", "Not a valid date and time."),
        ("updated_since=2020-01-01T00:00:00", "updated_since", "Give the time zone."),
    ],
)
def test_a_refused_parameter_is_named_with_its_message(api, query, field, detail):
    client, _requester = api()
    answer = client.get(f"/api/v1/applications?{query}")
    assert answer.status_code == 400
    assert answer.json["detail"] == detail
    assert answer.json["errors"] == [{"field": field, "detail": detail}]

"""Lists at scale keep their meaning: bounded counts, the merged queue order, indexed prefix search.

The speed itself is measured by ``bench/pages.py`` (docs/benchmarks.md), never by a timed test; these tests
hold the behaviour the faster queries must keep.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from screening import pagination
from tests.conftest import Factory, data_context, sign_in


@pytest.fixture
def small_pages(make_app):
    """An app with two rows per page, its factory and a signed-in requester."""
    app = make_app(app={"page_size": 2})
    with data_context(app):
        factory = Factory(app)
        requester = factory.user("requester")
        yield app, factory, requester


def _references(html: str) -> list[str]:
    return re.findall(r">(SCR-\d{4}-\d{6})</a>", html)


def _statements(app: Any) -> list[str]:
    """Every SQL statement the app's engine runs from now on."""
    seen: list[str] = []
    event.listen(app.extensions["screening.engine"], "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_a_count_stops_at_the_limit_and_next_still_works(small_pages, monkeypatch):
    app, factory, requester = small_pages
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 3)
    function = factory.function()
    made = [factory.application("draft", requester=requester, function=function) for _ in range(6)]
    client = sign_in(app.test_client(), requester)
    first = client.get("/applications").text
    assert "More than 3 results" in first and "Page 1 of more than 2" in first
    last = client.get("/applications?page=3").text
    assert _references(last) == [made[1].reference, made[0].reference]  # newest first: the two oldest last
    assert re.search(r'page-item disabled">\s*<a class="page-link" href="/applications\?[^"]*page=4', last)


def test_a_list_that_fits_one_page_is_not_counted(small_pages):
    app, factory, requester = small_pages
    factory.application("draft", requester=requester)
    client = sign_in(app.test_client(), requester)
    seen = _statements(app)
    page = client.get("/applications").text
    assert "1 result" in page
    assert not [sql for sql in seen if "count(" in sql.lower()]


def test_the_queue_is_oldest_first_across_states_and_pages(make_app):
    app = make_app(app={"page_size": 2})
    with data_context(app):
        factory = Factory(app)
        officer = factory.user("officer")
        now = datetime.now(UTC)
        states = ["appealed", "submitted", "info_requested", "in_review", "submitted", "appealed", "in_review"]
        made = [
            factory.application(state, now=now - timedelta(days=50 - 7 * number)) for number, state in enumerate(states)
        ]
        factory.application("draft")
        client = sign_in(app.test_client(), officer)
        seen = [reference for page in (1, 2, 3, 4) for reference in _references(client.get(f"/queue?page={page}").text)]
        assert seen == [application.reference for application in made]
        only = _references(client.get("/queue?state=appealed").text)
        assert only == [made[0].reference, made[5].reference]


def test_search_by_name_prefix_is_exact_at_the_edges(small_pages):
    app, factory, requester = small_pages
    names = ["Çelik", "Celzius", "Cel", "Cem", "Bcel", "Celíne"]
    for name in names:
        factory.application("draft", requester=requester, person=factory.person_details(family_name=name))
    client = sign_in(app.test_client(), requester)

    def found(query: str) -> set[str]:
        pages = [client.get("/applications", query_string={"q": query, "page": n}).text for n in (1, 2, 3)]
        return {name for name in names if any(f"{name}," in page for page in pages)}

    assert found("cel") == {"Çelik", "Celzius", "Cel", "Celíne"}
    assert found("CELI") == {"Çelik", "Celíne"}
    assert found("celz") == {"Celzius"}
    assert found("cem") == {"Cem"}
    assert found("z") == set()


def test_transition_fields_print_what_the_form_prints(app):
    """The detail page renders each action's hidden fields with a macro; TransitionForm validates the POST."""
    from flask import render_template_string

    from screening.applications.forms import TransitionForm

    with app.test_request_context("/"):
        by_macro = render_template_string(
            '{% from "macros.html" import transition_fields %}{{ transition_fields("advise_negative", 7) }}'
        )
        by_form = str(TransitionForm(version="7", prefix="advise_negative").hidden_tag())
    assert by_macro == by_form

"""The file page's timeline lists the file's changes; reads of its grounds are one summary line, so the page
costs the same however often the file was read."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest

from screening.actors import Actor
from screening.audit.operations import record
from screening.db import db
from tests.test_pages import _statements
from tests.test_visibility import _negative_file


def _read(factory, application, count: int, *, last: str = "officer-last") -> None:
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    for number in range(count):
        label = last if number == count - 1 else f"officer-{number}"
        actor = Actor(label=label, role="officer")
        record(actor, "read_grounds", "application", application.id, now=start + timedelta(minutes=number))
    factory.commit()


def _detail_statements(app, client, application) -> tuple[str, int]:
    seen = _statements(app)
    page = client.get(f"/applications/{application.id}")
    assert page.status_code == 200
    return page.text, len(seen)


def test_the_page_costs_the_same_with_3_or_300_reads(app, factory, as_role):
    requester = factory.user("requester")
    few, many = _negative_file(factory, requester), _negative_file(factory, requester)
    _read(factory, few, 3)
    _read(factory, many, 300)
    client, _ = as_role("officer")
    client.get(f"/applications/{few.id}")  # warm: the first request of a client loads what later ones keep
    few_page, few_count = _detail_statements(app, client, few)
    many_page, many_count = _detail_statements(app, client, many)
    assert few_count == many_count
    # The earlier view of ``few`` counts as a read too; the reads themselves are not listed.
    assert "Grounds read 4 times, last by " in few_page
    assert "Grounds read 300 times, last by officer-last on " in many_page
    assert "officer-1" not in many_page  # the earlier readers are not listed
    assert many_page.count('<li class="mb-2">') == few_page.count('<li class="mb-2">')


def test_the_summary_names_the_last_reader_and_the_timeline_keeps_the_changes(factory, as_role):
    application = _negative_file(factory, factory.user("requester"))
    _read(factory, application, 37, last="officer-anna")
    auditor_client, _ = as_role("auditor")
    page = html.unescape(auditor_client.get(f"/applications/{application.id}").text)
    assert "Grounds read 37 times, last by officer-anna on " in page
    assert f"/audit?object_type=application&object_id={application.id}" in page
    assert "<strong>Created</strong>" in page and "<strong>Negative advice</strong>" in page
    assert "<strong>Grounds read</strong>" not in page
    trail = auditor_client.get(f"/audit?object_type=application&object_id={application.id}")
    assert trail.status_code == 200 and "officer-anna" in trail.text


def test_one_read_is_said_in_the_singular_and_an_officer_has_no_trail_link(factory, as_role):
    application = _negative_file(factory, factory.user("requester"))
    _read(factory, application, 1, last="officer-bram")
    client, _ = as_role("officer")
    page = client.get(f"/applications/{application.id}").text
    assert "Grounds read 1 time, last by officer-bram on " in page
    assert "/audit?" not in page


def test_employers_see_no_summary_of_reads(factory, as_role):
    org = factory.organisation()
    client, requester = as_role("requester", org)
    application = _negative_file(factory, requester)
    _read(factory, application, 5)
    page = client.get(f"/applications/{application.id}").text
    assert "Grounds read" not in page and "officer-last" not in page


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "Grounds read 2 times, last by officer-last on "),
        ("nl", "Motivering 2 keer ingezien, laatst door officer-last op "),
        ("fr", "Motifs consultés 2 fois, en dernier par officer-last le "),
    ],
)
def test_the_summary_is_translated(factory, as_role, locale, expected):
    application = _negative_file(factory, factory.user("requester"))
    _read(factory, application, 2)
    client, auditor = as_role("auditor")
    auditor.locale = locale
    db.session.commit()
    page = html.unescape(client.get(f"/applications/{application.id}").text)
    assert expected in page


def test_the_trail_erasure_has_a_label_in_every_language(app):
    from flask_babel import force_locale

    from screening.web import EVENT_LABELS

    expected = {
        "en": "Trail texts erased",
        "nl": "Teksten van de audittrail gewist",
        "fr": "Textes du journal d'audit effacés",
    }
    with app.test_request_context():
        for locale, label in expected.items():
            with force_locale(locale):
                assert str(EVENT_LABELS["erase_trail_texts"]) == label

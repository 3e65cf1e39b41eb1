"""The compliance view: for every person in a critical function today, covered until when, in progress (and
whose move it is), negative, refused or not requested, against their function's deadline; counts per
standing, filters, a CSV export (audited); the authority's view per organisation and its port-wide summary.
The decision is one pure function (workflows/compliance.py); the page costs the same queries at any size."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, insert, select

from screening.actors import Actor
from screening.audit.models import AuditEntry
from screening.catalogue.deadlines import deadline_for, terms_for
from screening.db import db
from screening.extensions import vault
from screening.workforce.compliance import lines_statement
from screening.workforce.models import WorkforceMember
from screening.workforce.operations import MemberFields, add_member, record_leaver
from tests.conftest import today_utc
from workflows.compliance import Standing, compliance, inputs_of, standing
from workflows.roles import Role

TODAY = today_utc()


@pytest.mark.nodb
@pytest.mark.parametrize(
    ("state", "advice", "covered", "expected"),
    [
        (None, None, False, Standing.NOT_REQUESTED),
        ("draft", None, False, Standing.NOT_REQUESTED),
        ("withdrawn", None, False, Standing.NOT_REQUESTED),
        ("consent_expired", None, False, Standing.NOT_REQUESTED),
        ("awaiting_consent", None, False, Standing.IN_PROGRESS),
        ("in_review", None, False, Standing.IN_PROGRESS),
        ("negative", "negative", False, Standing.NEGATIVE),
        ("appealed", "negative", False, Standing.IN_PROGRESS),
        ("final_negative", "negative", False, Standing.NEGATIVE),
        ("consent_refused", None, False, Standing.REFUSED),
        ("positive", "positive_with_warning", False, Standing.NOT_REQUESTED),  # the clearance has ended
        ("positive", "positive_with_warning", True, Standing.COVERED),
        ("covered", None, True, Standing.COVERED),
        ("withdrawn", None, True, Standing.COVERED),  # an earlier file's clearance still covers the person
    ],
)
def test_the_standing_follows_the_employers_file_and_cover(state, advice, covered, expected):
    assert standing(state, advice, covered) is expected


@pytest.mark.nodb
def test_every_input_has_exactly_one_standing_and_the_filters_partition_them():
    uncovered = [inputs_of(s)[1] for s in Standing if s is not Standing.COVERED]
    union = frozenset().union(*uncovered)
    assert sum(len(pairs) for pairs in uncovered) == len(union)  # disjoint
    assert inputs_of(Standing.COVERED) == (True, frozenset())


@pytest.mark.nodb
def test_a_line_counts_days_to_the_deadline_and_says_whose_move_it_is():
    day = date(2026, 12, 2)
    waiting = compliance(state="info_requested", advice_type=None, covered_until=None, deadline=day, today=day)
    assert waiting.standing is Standing.IN_PROGRESS and waiting.waits_on is Role.REQUESTER
    assert waiting.days_left == 0 and waiting.overdue
    late = compliance(state=None, advice_type=None, covered_until=day - timedelta(days=1), deadline=day,
                      today=day + timedelta(days=3))  # fmt: skip
    assert late.standing is Standing.NOT_REQUESTED and late.days_left == -3 and late.covered_until is None
    ahead = compliance(state="awaiting_consent", advice_type=None, covered_until=None,
                       deadline=day + timedelta(days=60), today=day)  # fmt: skip
    assert ahead.days_left == 60 and not ahead.overdue and ahead.waits_on is Role.PERSON
    covered = compliance(state="positive", advice_type="positive", covered_until=day, deadline=day, today=day)
    assert covered.standing is Standing.COVERED and covered.days_left is None and not covered.overdue


def _member(manager, details, function, started, number=None):
    fields = MemberFields(
        number or f"P{details.national_number}", details.given_names, details.family_name, details.date_of_birth,
        function.id, started, details.national_number,
    )  # fmt: skip
    member = add_member(Actor.of(manager), vault(), manager.organisation_id, fields)
    db.session.commit()
    return member


@pytest.fixture
def register(factory, as_role):
    """One register with a person in every standing, a leaver, and a person cleared through another employer."""
    client, manager = as_role("requester")
    now_fn = factory.function()
    later_fn = factory.function(required_from=TODAY + timedelta(days=60))
    people = {}
    for name, state, function in [
        ("covered", "positive", now_fn), ("consent", "awaiting_consent", later_fn), ("asked", "info_requested", now_fn),
        ("negative", "negative", now_fn), ("refused", "consent_refused", now_fn), ("none", None, now_fn),
    ]:  # fmt: skip
        details = factory.person_details(family_name=name.capitalize())
        if state:
            factory.application(state, requester=manager, person=details)
        people[name] = _member(manager, details, function, TODAY - timedelta(days=5))
    elsewhere = factory.person_details(family_name="Elsewhere")
    factory.application("positive", person=elsewhere)  # another employer's file and clearance
    people["elsewhere"] = _member(manager, elsewhere, now_fn, TODAY - timedelta(days=5))
    gone = _member(manager, factory.person_details(family_name="Gone"), now_fn, TODAY - timedelta(days=50))
    record_leaver(Actor.of(manager), gone, TODAY - timedelta(days=1), expected_version=gone.version)
    db.session.commit()
    return client, manager, people


def test_the_view_shows_each_standing_with_counts_and_days(register):
    client, manager, people = register
    page = client.get(f"/workforce/{manager.organisation_id}/compliance")
    assert page.status_code == 200
    text = page.text
    assert "Gone" not in text  # left yesterday
    for label, number in [("All", 7), ("Covered", 1), ("In progress", 2), ("Negative advice", 1),
                          ("Consent refused", 1), ("Not requested", 2)]:  # fmt: skip
        assert f'{label} <span class="badge text-bg-light">{number}</span>' in text, label
    assert "Only past the deadline (5)" in text
    assert "60 days left" in text and "overdue by 5 days" in text
    assert "waits on: The person" in text and "waits on: Screening manager" in text
    assert "with warning" not in text
    entry = client.get(f"/workforce/{manager.organisation_id}/members/{people['consent'].id}").text
    assert "Awaiting consent" in entry and "waits on: The person" in entry and "60 days left" in entry


def test_filters_by_standing_and_overdue_and_the_csv_follows_them(register):
    client, manager, _ = register
    base = f"/workforce/{manager.organisation_id}/compliance"
    missing = client.get(base + "?standing=not_requested").text
    assert ">Elsewhere, " in missing and ">None, " in missing and ">Covered, " not in missing
    overdue = client.get(base + "?overdue=1").text
    assert ">Consent, " not in overdue and ">Asked, " in overdue and ">Covered, " not in overdue
    download = client.get(base + ".csv?standing=in_progress")
    assert download.status_code == 200 and download.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert {(r["family_name"], r["standing"], r["file_state"], r["waits_on"]) for r in rows} == {
        ("Consent", "in_progress", "awaiting_consent", "person"),
        ("Asked", "in_progress", "info_requested", "requester"),
    }
    consent = next(r for r in rows if r["family_name"] == "Consent")
    assert consent["deadline"] == (TODAY + timedelta(days=60)).isoformat() and consent["days_left"] == "60"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "export_compliance")).one()
    assert entry.organisation_id == manager.organisation_id and entry.reason == "wanted=in_progress"
    full = list(csv.DictReader(io.StringIO(client.get(base + ".csv").text)))
    covered = next(r for r in full if r["family_name"] == "Covered")
    assert covered["standing"] == "covered" and covered["covered_until"] > TODAY.isoformat()
    assert covered["days_left"] == ""


def test_the_authority_sees_each_organisation_and_the_port_wide_summary(register, as_role):
    _, manager, _ = register
    officer, _ = as_role("officer")
    summary = officer.get("/workforce").text
    assert "Port-wide, 5 people in a critical function today have no valid advice past" in summary
    assert officer.get(f"/workforce/{manager.organisation_id}/compliance").status_code == 200
    stranger, _ = as_role("requester")
    assert stranger.get(f"/workforce/{manager.organisation_id}/compliance").status_code == 404
    assert stranger.get(f"/workforce/{manager.organisation_id}/compliance.csv").status_code == 404


def test_the_deadline_in_sql_is_the_catalogues(factory):
    manager = factory.user("requester")
    functions = [factory.function(), factory.function(required_from=TODAY - timedelta(days=30)),
                 factory.function(required_from=TODAY + timedelta(days=30))]  # fmt: skip
    for function in functions:
        for started in (TODAY - timedelta(days=60), TODAY, TODAY + timedelta(days=60)):
            _member(manager, factory.person_details(), function, started)
    terms = terms_for(f.id for f in functions)
    rows = db.session.execute(lines_statement(manager.organisation_id, TODAY - timedelta(days=90), "en")).all()
    assert len(rows) == 9
    for row in rows:
        assert row.deadline == deadline_for(terms[row.function_id], row.started_on)


def _bulk(organisation_id, function_id, count):
    born = date(1980, 1, 1)
    now = datetime.now(UTC)
    db.session.execute(insert(WorkforceMember), [
        {"organisation_id": organisation_id, "personnel_number": f"B{i}", "given_names": "Bulk", "family_name": f"N{i}",
         "search_name": f"n{i} bulk", "search_given": f"bulk n{i}", "date_of_birth": born, "identity_hash": f"h{i}",
         "national_number_encrypted": "x", "national_number_masked": "80.01.01-***.**", "function_id": function_id,
         "started_on": born + timedelta(days=7000 + i % 300), "version": 1, "created_at": now, "updated_at": now}
        for i in range(count)
    ])  # fmt: skip
    db.session.commit()


def test_the_page_costs_the_same_queries_at_25_and_2500_people(factory, as_role, app):
    function = factory.function()
    measured, seen = [], []
    engine = app.extensions["screening.engine"]

    def listener(*args):
        seen.append(args[2])

    for size in (25, 2500):
        client, manager = as_role("requester")
        _bulk(manager.organisation_id, function.id, size)
        client.get(f"/workforce/{manager.organisation_id}/compliance")  # warm: the session's first reads
        seen.clear()
        event.listen(engine, "before_cursor_execute", listener)
        try:
            page = client.get(f"/workforce/{manager.organisation_id}/compliance?overdue=1")
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert page.status_code == 200 and f"Only past the deadline ({size})" in page.text
        measured.append(len(seen))
    assert measured[0] == measured[1], measured


def test_a_positive_advice_with_warning_is_shown_as_covered_only(factory, as_role):
    from screening.applications import operations
    from screening.extensions import settings

    client, manager = as_role("requester")
    details = factory.person_details(family_name="Warned")
    application = factory.application("in_review", requester=manager, person=details)
    operations.fire(
        application, "advise_positive_with_warning", Actor(label="officer-x", role="officer"), settings().deadlines,
        reason="grounds the employer never reads",
    )  # fmt: skip
    factory.commit()
    _member(manager, details, factory.function(), TODAY)
    base = f"/workforce/{manager.organisation_id}/compliance"
    for text in (client.get(base).text, client.get(base + ".csv").text):
        assert "Warned" in text and "warning" not in text.lower() and "grounds" not in text
    assert "Covered</span>" in client.get(base).text

"""The compliance view's counts are memoised per node (screening/workforce/compliance.py): after every kind of
change of their inputs, the counts a page shows are those of a fresh computation, on this node and on another
node sharing the database; an unchanged register answers from the memo with one cheap statement."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from screening.actors import Actor
from screening.applications import operations as files
from screening.catalogue.operations import save_function
from screening.clearances.models import Clearance
from screening.clearances.operations import fire_clearance
from screening.clock import today
from screening.db import db
from screening.extensions import settings, vault
from screening.workforce import compliance
from screening.workforce.operations import MemberFields, add_member, add_or_update_members, edit_member, record_leaver
from tests.conftest import csrf_token, sign_in
from workflows.compliance import Standing

_BADGE = re.compile(r'">([^<>]+) <span class="badge text-bg-light">(\d+)</span>')
_OVERDUE = re.compile(r"Only past the deadline \((\d+)\)")
_LABELS = {
    "All": None,
    "Covered": Standing.COVERED,
    "In progress": Standing.IN_PROGRESS,
    "Negative advice": Standing.NEGATIVE,
    "Consent refused": Standing.REFUSED,
    "Not requested": Standing.NOT_REQUESTED,
}


def _shown(client, organisation_id):
    page = client.get(f"/workforce/{organisation_id}/compliance")
    assert page.status_code == 200
    numbers = {_LABELS[label]: int(number) for label, number in _BADGE.findall(page.text)}
    return numbers, int(_OVERDUE.search(page.text).group(1))


def _fresh(organisation_id):
    db.session.commit()  # the test's session reads what was committed since
    counts = compliance.count_now(organisation_id, today())
    return {None: counts.total, **counts.by_standing}, counts.overdue


def _fields(details, function, started, number=None):
    return MemberFields(
        number or f"P{details.national_number}", details.given_names, details.family_name, details.date_of_birth,
        function.id, started, details.national_number,
    )  # fmt: skip


@pytest.fixture
def register(factory, as_role):
    client, manager = as_role("requester")
    function = factory.function()
    people = {}
    for name, state in [("covered", "positive"), ("consent", "awaiting_consent"), ("none", None), ("leaving", None)]:
        details = factory.person_details(family_name=name.capitalize())
        application = factory.application(state, requester=manager, person=details) if state else None
        member = add_member(Actor.of(manager), vault(), manager.organisation_id,
                            _fields(details, function, today() - timedelta(days=5)))  # fmt: skip
        people[name] = (details, application, member)
    db.session.commit()
    return client, manager, function, people


def _changes(factory, manager, function, people):
    """Each kind of change of the counts' inputs, in turn."""
    actor, org = Actor.of(manager), manager.organisation_id
    _covered_details, covered_file, _ = people["covered"]
    _, consent_file, _ = people["consent"]
    none_details, _, none_member = people["none"]
    _, _, leaving = people["leaving"]

    def joiner():
        details = factory.person_details(family_name="Joiner")
        add_member(actor, vault(), org, _fields(details, function, today() + timedelta(days=30)))

    def edit():  # a start in the future: no longer past the deadline
        fields = _fields(none_details, function, today() + timedelta(days=10), none_member.personnel_number)
        edit_member(actor, vault(), none_member, fields, expected_version=none_member.version)

    def leaver():
        record_leaver(actor, leaving, today() - timedelta(days=1), expected_version=leaving.version)

    def new_file():  # a file of this organisation on a member who had none
        details = factory.person_details(family_name="Filed")
        add_member(actor, vault(), org, _fields(details, function, today() - timedelta(days=3)))
        db.session.commit()
        factory.application("awaiting_consent", requester=manager, person=details)

    def scheduler_batch():  # the consent expiry job's batch (fire_many), with the job's earlier clock
        later = datetime.now(UTC) + timedelta(days=31)
        moved, refused = files.fire_many([consent_file], "expire_consent", Actor.system("consent_expiry"),
                                         settings().deadlines, now=later)  # fmt: skip
        assert moved and not refused

    def revocation():  # a clearance stops covering (not a change of this organisation's files)
        clearance = db.session.get(Clearance, covered_file.clearance_id)
        officer = Actor(label="officer-x", role="officer")
        fire_clearance(clearance, "start_reevaluation", officer, reason="New facts")
        fire_clearance(clearance, "revoke", officer, reason="Negative after re-evaluation")

    def catalogue():  # the admin moves the function's deadline to later: nobody is past it any more
        save_function(Actor(label="admin", role="admin"), code=function.code, name_en=function.name_en,
                      name_nl=function.name_nl, name_fr=function.name_fr, category=function.category,
                      function=function, required_from=today() + timedelta(days=90))  # fmt: skip

    def import_batch():  # the import's batched write, its clock earlier than the changes before it
        details = factory.person_details(family_name="Imported")
        earlier = datetime.now(UTC) - timedelta(hours=1)
        outcomes = add_or_update_members(actor, vault(), org, [_fields(details, function, today())], now=earlier)
        assert outcomes[0][1] == ("added",)

    return [joiner, edit, leaver, new_file, scheduler_batch, revocation, catalogue, import_batch]


def test_after_each_kind_of_change_the_counts_shown_are_fresh(register, factory):
    client, manager, function, people = register
    org = manager.organisation_id
    assert _shown(client, org) == _fresh(org)
    seen = [_shown(client, org)]
    for change in _changes(factory, manager, function, people):
        change()
        db.session.commit()
        shown = _shown(client, org)
        assert shown == _fresh(org), change.__name__
        assert shown != seen[-1], change.__name__  # each change moves a count: the test can fail
        seen.append(shown)


def test_another_node_sees_a_leaver_at_once(register, make_app):
    client, manager, _function, people = register
    org = manager.organisation_id
    other = make_app()  # a second node: its own process memory, the same database
    other_client = sign_in(other.test_client(), manager)
    before = _shown(client, org)
    assert _shown(other_client, org) == before
    _details, _file, member = people["none"]
    page = client.get(f"/workforce/{org}/members/{member.id}")
    form = {"leaver-csrf_token": csrf_token(page.text), "leaver-version": str(member.version),
            "leaver-ended_on": (today() - timedelta(days=1)).isoformat()}  # fmt: skip
    assert client.post(f"/workforce/{org}/members/{member.id}/leaver", data=form).status_code == 302
    numbers, _overdue = _shown(other_client, org)
    assert numbers[None] == before[0][None] - 1
    assert _shown(other_client, org) == _shown(client, org) == _fresh(org)


def test_an_unchanged_register_is_counted_once(register, app):
    client, manager, _function, _people = register
    org = manager.organisation_id
    _shown(client, org)
    seen = statements_during(app, lambda: _shown(client, org))
    assert not [s for s in seen if "GROUP BY" in s], seen  # the grouped count came from the memo


def statements_during(app, call) -> list[str]:
    """The statements ``app``'s engine runs while ``call()`` runs."""
    engine = app.extensions["screening.engine"]
    seen: list[str] = []

    def listener(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return seen


def test_a_search_matching_more_than_a_page_counts_its_lines(factory, as_role):
    from tests.workforce.test_compliance import _bulk

    client, manager = as_role("requester")
    _bulk(manager.organisation_id, factory.function().id, 120)
    first = client.get(f"/workforce/{manager.organisation_id}/compliance?q=bulk")
    last = client.get(f"/workforce/{manager.organisation_id}/compliance?q=bulk&page=3")
    assert first.status_code == last.status_code == 200
    assert first.text.count('name="page_member"') == 50 and last.text.count('name="page_member"') == 20

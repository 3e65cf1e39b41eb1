"""Requesting screenings from the compliance view: the screening manager ticks people not requested, completes
on one review page what the register does not hold, and each gets a submitted file filled from the register
(personnel number as external id), audited as a file made by hand; duplicates and other organisations' ids
create nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.db import db
from screening.people.models import Person
from tests.conftest import csrf_token, fresh, today_utc
from tests.workforce.test_compliance import _member


@pytest.fixture
def five(factory, as_role):
    """A screening manager whose register holds five people, none requested."""
    client, manager = as_role("requester")
    function = factory.function()
    members = [
        _member(manager, factory.person_details(family_name=f"Person{i}"), function, today_utc() - timedelta(days=3))
        for i in range(5)
    ]
    return client, manager, members


def _token(client, organisation_id):
    return csrf_token(client.get(f"/workforce/{organisation_id}/compliance").text)


def _confirm(client, organisation_id, ids, token, **row):
    data = {"csrf_token": token, "member": [str(i) for i in ids]}
    for i in ids:
        data |= {f"m{i}-nationality": row.get("nationality", "BE"), f"m{i}-locale": "fr", f"m{i}-email": ""}
    return client.post(f"/workforce/{organisation_id}/requests", data=data)


def _files(organisation_id):
    fresh()
    return db.session.scalars(select(Application).where(Application.organisation_id == organisation_id)).all()


def test_ticking_three_of_five_submits_three_files_from_the_register(five):
    client, manager, members = five
    org = manager.organisation_id
    page = client.get(f"/workforce/{org}/compliance")
    assert page.text.count('name="member"') == 5
    chosen = sorted(members[:3], key=lambda m: m.personnel_number)
    review = client.post(
        f"/workforce/{org}/requests/review",
        data={"csrf_token": csrf_token(page.text), "choice": "ticked", "member": [str(m.id) for m in chosen]},
    )
    assert review.status_code == 200
    assert [m.family_name in review.text for m in members] == [True, True, True, False, False]
    assert "Submit 3 applications" in review.text
    done = _confirm(client, org, [m.id for m in chosen], csrf_token(review.text))
    assert done.status_code == 302
    files = sorted(_files(org), key=lambda a: a.external_id)
    assert [(a.external_id, a.state) for a in files] == [(m.personnel_number, "awaiting_consent") for m in chosen]
    for application, member in zip(files, chosen, strict=True):
        declared = (
            application.declared_name,
            application.declared_date_of_birth,
            db.session.get(Person, application.person_id).identity_hash,
        )
        assert declared == (member.full_name, member.date_of_birth, member.identity_hash)
        assert application.function_id == member.function_id and application.declared_locale == "fr"
    actions = db.session.execute(
        select(AuditEntry.action, func.count())
        .where(AuditEntry.object_type == "application")
        .group_by(AuditEntry.action)
    ).all()
    assert dict(actions) == {"create": 3, "submit": 3}
    shown = client.get(f"/workforce/{org}/compliance").text
    assert "3 screenings requested" in shown and shown.count('name="member"') == 2


def test_posting_the_same_confirm_again_creates_nothing_more(five):
    client, manager, members = five
    org = manager.organisation_id
    token = _token(client, org)
    assert _confirm(client, org, [members[0].id], token).status_code == 302
    again = _confirm(client, org, [members[0].id], token)
    assert again.status_code == 302
    assert len(_files(org)) == 1
    assert "already requested or drafted" in client.get(f"/workforce/{org}/compliance").text


def test_the_whole_page_button_sends_every_requestable_line(five):
    client, manager, members = five
    org = manager.organisation_id
    _confirm(client, org, [members[0].id], _token(client, org))
    page = client.get(f"/workforce/{org}/compliance")
    review = client.post(f"/workforce/{org}/requests/review", data={
        "csrf_token": csrf_token(page.text), "choice": "page", "member": [str(members[1].id)],
        "page_member": [str(m.id) for m in members],
    })  # fmt: skip
    assert review.status_code == 200
    assert review.text.count('type="hidden" name="member"') == 4  # the one already requested is left out


def test_another_organisations_members_are_never_requested(five, as_role, factory):
    client, manager, members = five
    other, other_manager = as_role("requester")
    stranger = _member(other_manager, factory.person_details(), factory.function(), today_utc())
    org = manager.organisation_id
    token = _token(client, org)
    review = client.post(f"/workforce/{org}/requests/review", data={"csrf_token": token, "member": str(stranger.id)})
    assert review.status_code == 302
    assert _confirm(client, org, [stranger.id], token).status_code == 302
    other_org = other_manager.organisation_id
    assert _confirm(client, other_org, [stranger.id], token).status_code == 404
    assert _files(org) == [] and _files(other_org) == []


def test_a_missing_nationality_is_asked_at_its_field_and_nothing_is_created(five):
    client, manager, members = five
    org = manager.organisation_id
    answer = _confirm(client, org, [members[0].id, members[1].id], _token(client, org), nationality="")
    assert answer.status_code == 422
    assert answer.text.count("is-invalid") == 2
    assert _files(org) == []


def test_too_many_people_or_no_token_is_refused(five):
    client, manager, members = five
    org = manager.organisation_id
    token = _token(client, org)
    many = client.post(f"/workforce/{org}/requests", data={"csrf_token": token, "member": ["1"] * 201})
    assert many.status_code == 302
    assert client.post(f"/workforce/{org}/requests", data={"member": str(members[0].id)}).status_code == 400
    assert _files(org) == []


def test_hr_reads_the_view_without_checkboxes_and_may_not_request(five, as_role):
    _client, manager, members = five
    hr, _user = as_role("hr", manager.organisation)
    org = manager.organisation_id
    page = hr.get(f"/workforce/{org}/compliance")
    assert page.status_code == 200 and 'name="member"' not in page.text
    token = csrf_token(page.text)
    for path in ("requests/review", "requests"):
        answer = hr.post(f"/workforce/{org}/{path}", data={"csrf_token": token, "member": str(members[0].id)})
        assert answer.status_code == 403
    assert _files(org) == []

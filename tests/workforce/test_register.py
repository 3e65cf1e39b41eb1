"""The register of staff in critical functions: the screening manager adds joiners, changes entries and
records leavers through the pages, every change audited; HR and the authority read; another organisation's
register or entry answers 404. The national register number is kept encrypted and shown masked."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from screening.actors import Actor
from screening.audit.models import AuditEntry
from screening.db import db
from screening.errors import InvalidInput
from screening.extensions import vault
from screening.people.identifiers import make_national_number
from screening.workforce.models import WorkforceMember
from screening.workforce.operations import MemberFields, add_or_update_member
from tests.conftest import csrf_token, fresh

BORN = date(1985, 7, 30)
NUMBER = make_national_number(BORN, 33)


def _fields(function_id, **overrides):
    values = {
        "personnel_number": "P-100", "given_names": "Ayşe", "family_name": "Çelik", "date_of_birth": BORN.isoformat(),
        "national_number": NUMBER, "function_id": str(function_id), "started_on": "2026-01-05",
    }  # fmt: skip
    return values | overrides


def _add(client, organisation_id, function, **overrides):
    page = client.get(f"/workforce/{organisation_id}/new")
    assert page.status_code == 200
    data = _fields(function.id, **overrides) | {"csrf_token": csrf_token(page.text)}
    return client.post(f"/workforce/{organisation_id}/new", data=data)


def _members():
    fresh()
    return list(db.session.scalars(select(WorkforceMember).order_by(WorkforceMember.id)))


def _actions():
    return [
        e.action for e in db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "workforce_member"))
    ]


@pytest.fixture
def manager(as_role):
    return as_role("requester")


def test_a_joiner_is_added_with_the_number_encrypted_and_shown_masked(manager, factory):
    client, requester = manager
    function = factory.function()
    response = _add(client, requester.organisation_id, function)
    assert response.status_code == 302
    (member,) = _members()
    assert member.personnel_number == "P-100" and member.search_name == "celik ayse"
    assert NUMBER not in member.national_number_encrypted
    assert vault().decrypt(member.national_number_encrypted) == NUMBER
    assert member.identity_hash == vault().lookup_hash("BE-NRN", NUMBER)
    listing = client.get(f"/workforce/{requester.organisation_id}")
    assert "Çelik, Ayşe" in listing.text and "85.07.30-***.**" in listing.text
    assert NUMBER not in listing.text
    assert _actions() == ["add_member"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"national_number": "85073003329"}, "wrong check number"),
        ({"date_of_birth": "1985-07-31"}, "does not match the date of birth"),
        ({"national_number": ""}, "This field is required."),
        ({"given_names": "   "}, "This field is required."),
        ({"personnel_number": ""}, "This field is required."),
        ({"date_of_birth": "2999-01-01"}, "cannot be in the future"),
    ],
)
def test_bad_input_is_answered_at_the_field_and_nothing_is_stored(manager, factory, overrides, message):
    client, requester = manager
    response = _add(client, requester.organisation_id, factory.function(), **overrides)
    assert response.status_code == 422
    assert message in response.text
    assert _members() == []


def test_a_personnel_number_already_in_the_register_is_refused_at_its_field(manager, factory):
    client, requester = manager
    function = factory.function()
    assert _add(client, requester.organisation_id, function).status_code == 302
    other = make_national_number(date(1990, 1, 2), 5)
    response = _add(client, requester.organisation_id, function, national_number=other, date_of_birth="1990-01-02")
    assert response.status_code == 422
    assert "already holds someone with this personnel number" in response.text
    assert len(_members()) == 1


def test_another_organisations_register_and_entries_are_404(manager, as_role, factory):
    client, requester = manager
    function = factory.function()
    _add(client, requester.organisation_id, function)
    (member,) = _members()
    stranger, outsider = as_role("requester")
    hr, _ = as_role("hr")
    for path in (
        f"/workforce/{requester.organisation_id}",
        f"/workforce/{requester.organisation_id}/new",
        f"/workforce/{requester.organisation_id}/members/{member.id}",
        f"/workforce/{outsider.organisation_id}/members/{member.id}",
    ):
        assert stranger.get(path).status_code == 404, path
    page = stranger.get(f"/workforce/{outsider.organisation_id}/new")
    response = stranger.post(
        f"/workforce/{outsider.organisation_id}/members/{member.id}/leaver",
        data={"leaver-csrf_token": csrf_token(page.text), "leaver-version": "1", "leaver-ended_on": "2026-02-01"},
    )
    assert response.status_code == 404
    assert hr.get(f"/workforce/{requester.organisation_id}").status_code == 404
    assert _members()[0].ended_on is None


def test_hr_and_the_authority_read_without_forms_and_the_administrator_is_refused(manager, as_role, factory):
    client, requester = manager
    _add(client, requester.organisation_id, factory.function())
    (member,) = _members()
    organisation = db.session.get(type(requester.organisation), requester.organisation_id)
    hr, _ = as_role("hr", organisation)
    officer, _ = as_role("officer")
    auditor, _ = as_role("auditor")
    admin, _ = as_role("admin")
    for reader in (hr, officer, auditor):
        page = reader.get(f"/workforce/{requester.organisation_id}/members/{member.id}")
        assert page.status_code == 200
        assert "Çelik" in page.text and "Record the last day" not in page.text
        assert reader.get(f"/workforce/{requester.organisation_id}/new").status_code == 403
    assert hr.get("/workforce").headers["Location"].endswith(f"/workforce/{requester.organisation_id}")
    overview = officer.get("/workforce")
    assert overview.status_code == 200 and organisation.name in overview.text
    assert admin.get("/workforce").status_code == 403


def _edit(client, organisation_id, member, **overrides):
    page = client.get(f"/workforce/{organisation_id}/members/{member.id}")
    data = _fields(member.function_id) | {
        "national_number": "",
        "version": str(member.version),
        "csrf_token": csrf_token(page.text),
    }
    return client.post(f"/workforce/{organisation_id}/members/{member.id}/edit", data=data | overrides)


def test_an_entry_is_changed_against_the_version_seen_and_the_trail_names_what_changed(manager, factory):
    client, requester = manager
    first, second = factory.function(), factory.function()
    _add(client, requester.organisation_id, first)
    (member,) = _members()
    response = _edit(client, requester.organisation_id, member, function_id=str(second.id))
    assert response.status_code == 302
    (changed,) = _members()
    assert changed.function_id == second.id and changed.version == 2
    assert vault().decrypt(changed.national_number_encrypted) == NUMBER  # a blank number keeps the stored one
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "change_member")).one()
    assert entry.reason == "changed: function_id"
    stale = _edit(client, requester.organisation_id, member, family_name="Other", version="1")
    assert stale.status_code == 409
    assert "Someone else changed this entry meanwhile" in stale.text
    assert _members()[0].family_name == "Çelik"


def _leave(client, organisation_id, member, day):
    page = client.get(f"/workforce/{organisation_id}/members/{member.id}")
    data = {"leaver-csrf_token": csrf_token(page.text), "leaver-version": str(member.version), "leaver-ended_on": day}
    return client.post(f"/workforce/{organisation_id}/members/{member.id}/leaver", data=data)


def test_a_leaver_is_recorded_with_the_last_day_and_audited(manager, factory):
    client, requester = manager
    _add(client, requester.organisation_id, factory.function())
    (member,) = _members()
    early = _leave(client, requester.organisation_id, member, "2025-12-31")
    assert early.status_code == 422
    assert "cannot be before the start date" in early.text
    assert _leave(client, requester.organisation_id, member, "2026-06-30").status_code == 302
    (left,) = _members()
    assert left.ended_on == date(2026, 6, 30)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "record_leaver")).one()
    assert entry.reason == "last day 2026-06-30" and entry.organisation_id == requester.organisation_id
    assert "30 Jun 2026" in client.get(f"/workforce/{requester.organisation_id}").text
    late_start = _edit(client, requester.organisation_id, left, started_on="2026-07-01")
    assert late_start.status_code == 422 and "after the last day in the function" in late_start.text


def test_the_register_is_searched_by_name_personnel_number_and_national_number(manager, factory):
    client, requester = manager
    function = factory.function()
    _add(client, requester.organisation_id, function)
    other = make_national_number(date(1990, 1, 2), 5)
    _add(client, requester.organisation_id, function, personnel_number="P-200", given_names="Jan",
         family_name="Peeters", national_number=other, date_of_birth="1990-01-02")  # fmt: skip
    base = f"/workforce/{requester.organisation_id}?q="
    assert "Peeters" in client.get(base + "pee").text and "Çelik" not in client.get(base + "pee").text
    assert "Çelik" in client.get(base + "ayse").text
    assert "Peeters" in client.get(base + "P-200").text and "Çelik" not in client.get(base + "P-200").text
    found = client.get(base + NUMBER[:6] + "-" + NUMBER[6:])
    assert "Çelik" in found.text and "Peeters" not in found.text


def test_the_import_function_adds_then_changes_nothing_on_the_same_row(factory):
    requester = factory.user("requester")
    function = factory.function()
    actor = Actor.of(requester)
    fields = MemberFields("P-1", "Jan", "Peeters", BORN, function.id, date(2026, 1, 5), NUMBER)
    member, changed = add_or_update_member(actor, vault(), requester.organisation_id, fields)
    assert changed == ("added",)
    again, changed = add_or_update_member(actor, vault(), requester.organisation_id, fields)
    assert again.id == member.id and changed == ()
    moved = MemberFields("P-1", "Jan", "Peeters", BORN, function.id, date(2026, 2, 1), None)
    _, changed = add_or_update_member(actor, vault(), requester.organisation_id, moved)
    assert changed == ("started_on",)
    with pytest.raises(InvalidInput) as refused:
        add_or_update_member(actor, vault(), requester.organisation_id, MemberFields(
            "P-2", "Jan", "Peeters", BORN, function.id, date(1970, 1, 1), NUMBER))  # fmt: skip
    assert refused.value.field == "started_on"
    factory.commit()
    assert _actions() == ["add_member", "change_member"]

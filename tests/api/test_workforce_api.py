"""The register through the API: an HR system records joiners (a retry with the same Idempotency-Key
records nothing twice) and leavers (against the entry's version), lists and reads the register; the page's
rules and messages at the field, the national register number masked, every change audited with the token's
name; another organisation's personnel number is 404, a token of the authority's own tools 403."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from screening.actors import Actor
from screening.api.operations import create_token
from screening.audit.models import AuditEntry
from screening.db import db
from screening.people.identifiers import make_national_number
from screening.workforce.models import WorkforceMember
from tests.api.conftest import ApiClient
from tests.conftest import fresh

REGISTER = "/api/v1/workforce"
BORN = date(1985, 7, 30)
NUMBER = make_national_number(BORN, 33)


def _joiner(function, **overrides):
    body = {
        "personnel_number": "P-100", "given_names": "Ayşe", "family_name": "Çelik", "date_of_birth": BORN.isoformat(),
        "national_number": NUMBER, "function_id": function.id, "started_on": "2026-01-05",
    }  # fmt: skip
    return body | overrides


def _audited(action):
    fresh()
    return list(db.session.scalars(select(AuditEntry.actor).where(AuditEntry.action == action)))


def test_an_hr_system_records_a_joiner_once_and_lists_the_register(api, factory):
    client, _requester = api()
    function = factory.function()
    key = {"Idempotency-Key": "joiner-P-100"}
    created = client.post(REGISTER, json=_joiner(function), headers=key)
    assert created.status_code == 201, created.json
    assert created.headers["Location"].endswith("/api/v1/workforce/P-100")
    assert created.headers["ETag"] == '"v1"'
    body = created.json
    assert body["personnel_number"] == "P-100" and body["active"] is True and body["ended_on"] is None
    assert body["national_number_masked"] != NUMBER and NUMBER not in created.text
    again = client.post(REGISTER, json=_joiner(function), headers=key)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == body
    fresh()
    assert len(list(db.session.scalars(select(WorkforceMember)))) == 1
    assert _audited("add_member") == [f"{_requester.username} (API token: HR system)"]

    listed = client.get(REGISTER)
    assert listed.status_code == 200
    assert [item["personnel_number"] for item in listed.json["items"]] == ["P-100"]
    assert listed.json["has_next"] is False and NUMBER not in listed.text
    assert client.get(REGISTER, query_string={"active": "false"}).json["items"] == []
    one = client.get(f"{REGISTER}/P-100")
    assert one.status_code == 200 and one.json == body


def test_a_known_personnel_number_is_changed_to_match_as_an_import_does(api, factory):
    client, _requester = api()
    function = factory.function()
    assert client.post(REGISTER, json=_joiner(function)).status_code == 201
    changed = client.post(REGISTER, json=_joiner(function, family_name="Yılmaz"))
    assert changed.status_code == 200 and changed.json["family_name"] == "Yılmaz"
    assert changed.headers["ETag"] == '"v2"'
    assert _audited("change_member")


def test_a_leaver_is_recorded_against_the_version_read(api, factory):
    client, _requester = api()
    function = factory.function()
    client.post(REGISTER, json=_joiner(function))
    read = client.get(f"{REGISTER}/P-100")
    left = client.post(f"{REGISTER}/P-100/leave", json={"ended_on": "2026-03-31"},
                       headers={"If-Match": read.headers["ETag"]})  # fmt: skip
    assert left.status_code == 200, left.json
    assert left.json["ended_on"] == "2026-03-31" and left.headers["ETag"] == '"v2"'
    assert _audited("record_leaver") == [f"{_requester.username} (API token: HR system)"]
    stale = client.post(f"{REGISTER}/P-100/leave", json={"ended_on": "2026-04-30"},
                        headers={"If-Match": read.headers["ETag"]})  # fmt: skip
    assert stale.status_code == 412 and stale.json["errors"][0]["field"] == "If-Match"
    missing = client.post(f"{REGISTER}/P-100/leave", json={"ended_on": "2026-04-30"})
    assert missing.status_code == 428
    before = client.post(f"{REGISTER}/P-100/leave", json={"ended_on": "2025-12-31"}, headers={"If-Match": '"v2"'})
    assert before.status_code == 422 and before.json["errors"][0]["field"] == "ended_on"
    fresh()
    assert db.session.scalar(select(WorkforceMember.ended_on)) == date(2026, 3, 31)


def test_bad_input_is_refused_at_its_field_and_nothing_is_written(api, factory):
    client, _requester = api()
    function = factory.function()
    bad_date = client.post(REGISTER, json=_joiner(function, date_of_birth="30/07/1985"))
    assert bad_date.status_code == 422
    assert [error["field"] for error in bad_date.json["errors"]] == ["date_of_birth"]
    bad_number = client.post(REGISTER, json=_joiner(function, national_number="85.07.30-033.00"))
    assert bad_number.status_code == 422
    assert [error["field"] for error in bad_number.json["errors"]] == ["national_number"]
    unknown = client.post(REGISTER, json=_joiner(function, salary="3000"))
    assert unknown.status_code == 400 and unknown.json["errors"][0]["field"] == "salary"
    client.post(REGISTER, json=_joiner(function))
    bad_day = client.post(f"{REGISTER}/P-100/leave", json={"ended_on": "tomorrow"}, headers={"If-Match": '"v1"'})
    assert bad_day.status_code == 422 and bad_day.json["errors"][0]["field"] == "ended_on"
    fresh()
    assert [m.personnel_number for m in db.session.scalars(select(WorkforceMember))] == ["P-100"]
    assert db.session.scalar(select(WorkforceMember.ended_on)) is None


def test_another_organisations_entry_is_not_found_and_the_authority_is_refused(api, factory):
    ours, _requester = api()
    theirs, _other = api()
    reader, _reader = api(scopes=("read",))
    function = factory.function()
    assert theirs.post(REGISTER, json=_joiner(function, personnel_number="T-1")).status_code == 201
    assert ours.get(f"{REGISTER}/T-1").status_code == 404
    left = ours.post(f"{REGISTER}/T-1/leave", json={"ended_on": "2026-03-31"}, headers={"If-Match": '"v1"'})
    assert left.status_code == 404
    assert ours.get(REGISTER).json["items"] == []
    assert reader.post(REGISTER, json=_joiner(function)).status_code == 403
    _token, secret = create_token(Actor.of(factory.user("officer")), name="Statistics", scopes=("read",))
    db.session.commit()
    authority = ApiClient(ours.client, secret)
    assert authority.get(REGISTER).status_code == 403
    assert authority.get(f"{REGISTER}/T-1").status_code == 403


def test_the_body_schemas_list_the_forms_fields(app):
    """The bodies' documentation cannot drift from the forms that validate them."""
    from screening.api.workforce_views import Leave, MemberCreate
    from screening.workforce.forms import LeaverForm, MemberForm

    with app.test_request_context():
        joiner = MemberForm(formdata=None, meta={"csrf": False})
        leaver = LeaverForm(formdata=None, meta={"csrf": False})
    assert set(MemberCreate().fields) == set(joiner._fields) - {"csrf_token"}
    assert set(Leave().fields) == set(leaver._fields) - {"csrf_token", "version"}

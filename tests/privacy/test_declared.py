"""What an employer declared is its own (issue 12 item 1): the name oracle, the e-mail takeover, the
whitespace identifier, the document's country and type, and the officers' mismatch flag; and the draft's
edit with the declared e-mail and language on the file (issue 15 item 6)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from screening.actors import Actor
from screening.applications import operations
from screening.applications.deadlines import remind_consent
from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.db import db
from screening.errors import InvalidInput
from screening.extensions import settings, vault
from screening.notifications.models import OutboxMessage
from screening.people.identifiers import make_national_number
from screening.people.models import Person
from screening.people.operations import PersonDetails, find_or_create_person, identity_hash
from screening.retention.operations import erase_files
from tests.conftest import csrf_token, fresh
from tests.privacy.conftest import act, new_application

BORN = date(1979, 4, 12)
NUMBER = make_national_number(BORN, 218)
#: What employer A declared, and what the hostile employer B types with the same national number.
A_NAMES = {"given_names": "Annelies", "family_name": "Vandenbroucke"}
B_NAMES = {"given_names": "Xavier", "family_name": "Probe"}
ATTACKER = "probe@attacker.example"


def _declare(client, function_id: int, **overrides: str) -> int:
    values = {"date_of_birth": BORN.isoformat(), "national_number": NUMBER, **overrides}
    return new_application(client, function_id, **values)


def _count(model) -> int:
    fresh()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _mail_to(address: str) -> list[OutboxMessage]:
    fresh()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address)))


def test_name_oracle_employer_b_sees_only_what_b_typed(as_role, factory, app):
    a_client, _a = as_role("requester")
    b_client, _b = as_role("requester")
    function = factory.function()
    a_file = _declare(a_client, function.id, **A_NAMES, email="")
    b_file = _declare(b_client, function.id, **B_NAMES, email=ATTACKER)
    fresh()
    a_app, b_app = db.session.get(Application, a_file), db.session.get(Application, b_file)
    assert a_app.person_id == b_app.person_id  # screened once: one record of the person
    person = db.session.get(Person, a_app.person_id)
    assert (person.given_names, person.family_name, person.email) == ("Annelies", "Vandenbroucke", None)

    assert act(b_client, b_file, "submit").status_code == 302
    pages = [
        b_client.get(f"/applications/{b_file}").text,
        b_client.get("/applications").text,
        b_client.get("/applications?q=Vandenbroucke").text,
        b_client.get(f"/applications/{b_file}/letter").text,
        b_client.get(f"/applications/{b_file}/consent-form").text,
    ]
    (request,) = _mail_to(ATTACKER)  # B's own file asks B's own address, with B's own words
    link = re.search(r"/p/(\S+)", request.body)
    assert link, request.body
    pages.append(app.test_client().get(f"/p/{link.group(1)}").text)
    for page in pages[:2] + pages[3:]:
        assert "Annelies" not in page and "Vandenbroucke" not in page
    assert "Annelies" not in pages[2]  # the search echoes what B typed, and lists nothing
    assert "Xavier" in pages[0] and "Probe" in pages[1] and "Xavier" in request.body
    assert f"/applications/{b_file}" not in pages[2]  # searching A's name finds nothing of B's
    assert "Xavier" in pages[3] and "Xavier" in pages[5]
    fresh()
    person = db.session.get(Person, a_app.person_id)
    assert (person.given_names, person.family_name, person.email) == ("Annelies", "Vandenbroucke", None)


def test_email_takeover_b_never_receives_a_persons_link_or_notice(as_role, factory):
    a_client, a_user = as_role("requester")
    b_client, _b = as_role("requester")
    officer_client, _officer = as_role("officer")
    function = factory.function()
    a_file = _declare(a_client, function.id, **A_NAMES, email="")
    _declare(b_client, function.id, **B_NAMES, email=ATTACKER)  # B adds "its" address, then waits
    assert act(a_client, a_file, "submit").status_code == 302
    fresh()
    asked = db.session.get(Application, a_file).state_changed_at
    remind_consent(asked + timedelta(days=8), settings().deadlines)  # the reminder job, too
    db.session.commit()
    stored = db.session.get(Application, a_file)
    operations.fire(stored, "consent", Actor.person(stored.person_id), settings().deadlines)  # the person consents
    db.session.commit()
    assert act(officer_client, a_file, "start_review").status_code == 302
    response = act(
        officer_client, a_file, "advise_negative", reason="Grounds for the file", disclosed="Told to the person"
    )
    assert response.status_code == 302
    assert _mail_to(ATTACKER) == []
    fresh()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.template.in_(("consent_request", "consent_reminder", "advice_notice"))
    )) == 0  # A declared no address: the person's mail goes nowhere rather than to another employer's  # fmt: skip
    assert db.session.get(Person, db.session.get(Application, a_file).person_id).email is None
    assert a_user is not None


@pytest.mark.parametrize(
    "identifiers",
    [
        {"national_number": "", "document_number": "   "},
        {"national_number": "  ", "document_number": "\t \u00a0", "document_type": "passport"},
        {"national_number": " ", "document_number": ""},
    ],
    ids=["blank-number-spaces-document", "tab-nbsp-document", "space-number"],
)
def test_whitespace_identifier_is_answered_at_the_field_and_stores_nothing(as_role, factory, identifiers):
    client, _user = as_role("requester")
    function = factory.function()
    before = (_count(Application), _count(Person), _count(AuditEntry))
    page = client.get("/applications/new")
    data = {
        "given_names": "Ewa", "family_name": "Nowak", "date_of_birth": "1990-02-03", "nationality": "PL",
        "email": "", "locale": "en", "function_id": str(function.id), **identifiers,
        "csrf_token": csrf_token(page.text),
    }  # fmt: skip
    response = client.post("/applications/new", data=data)
    assert response.status_code == 422
    segment = response.text.split('id="national_number"', 1)[1].split('<div class="mb-3">', 1)[0]
    assert "Give a national register number, or an identity document number." in segment
    assert (_count(Application), _count(Person), _count(AuditEntry)) == before


def test_whitespace_identifier_is_refused_by_the_operation_too(app, factory):
    requester = factory.user("requester")
    function = factory.function()
    details = PersonDetails("Ewa", "Nowak", date(1990, 2, 3), "PL", national_number=" ", document_number="   ")
    with pytest.raises(InvalidInput) as refused:
        operations.create_application(
            Actor.of(requester), vault(), organisation_id=requester.organisation_id, function_id=function.id,
            person=details,
        )  # fmt: skip
    assert refused.value.field == "national_number"
    db.session.rollback()
    assert (_count(Application), _count(Person)) == (0, 0)


def _document(**overrides: object) -> PersonDetails:
    values: dict[str, object] = {
        "given_names": "Ewa", "family_name": "Nowak", "date_of_birth": date(1990, 2, 3), "nationality": "PL",
        "document_number": "AB 1234567", "document_type": "passport", "document_country": "PL",
    }  # fmt: skip
    return PersonDetails(**{**values, **overrides})  # type: ignore[arg-type]


def test_a_document_differing_only_by_country_or_type_is_another_person(app):
    keys = vault()
    passport = find_or_create_person(keys, _document())
    same = find_or_create_person(keys, _document(document_number="ab-1234567"))
    other_country = find_or_create_person(keys, _document(document_country="DE"))
    identity_card = find_or_create_person(keys, _document(document_type="identity_card"))
    residence_permit = find_or_create_person(keys, _document(document_type="residence_permit"))
    assert same.id == passport.id
    assert len({passport.id, other_country.id, identity_card.id, residence_permit.id}) == 4
    assert (identity_card.document_type, identity_card.document_country) == ("identity_card", "PL")
    with pytest.raises(InvalidInput) as refused:
        find_or_create_person(keys, _document(document_type="driving_licence"))
    assert refused.value.field == "document_type"


def test_national_number_hashes_as_before_and_an_old_document_record_is_still_found(app):
    """No data migration: a national number's hash is unchanged; a document record made before the type was
    asked is found by its old hash (country and number), and only while it has no type."""
    keys = vault()
    digits = make_national_number(BORN, 5)
    details = PersonDetails("Luc", "Maes", BORN, "BE", national_number=f" {digits[:6]}-{digits[6:]} ")
    assert identity_hash(keys, details) == keys.lookup_hash("BE-NRN", digits)
    old = Person(
        given_names="Ewa", family_name="Nowak", search_name="nowak ewa", date_of_birth=date(1990, 2, 3),
        nationality="PL", identity_hash=keys.lookup_hash("DOC-PL", "AB1234567"),
    )  # fmt: skip
    db.session.add(old)
    db.session.flush()
    assert find_or_create_person(keys, _document(document_number="AB1234567")).id == old.id
    assert find_or_create_person(keys, _document(document_country="DE")).id != old.id


def test_officers_see_the_mismatch_flag_employers_do_not(as_role, factory):
    a_client, _a = as_role("requester")
    b_client, _b = as_role("requester")
    officer_client, _officer = as_role("officer")
    function = factory.function()
    a_file = _declare(a_client, function.id, **A_NAMES)
    b_file = _declare(b_client, function.id, **B_NAMES)
    for client in (a_client, b_client):
        for file_id in (a_file, b_file):
            page = client.get(f"/applications/{file_id}")
            assert "declaration-mismatch" not in page.text
            assert "differs from the authority" not in page.text
    assert 'id="declaration-mismatch"' not in officer_client.get(f"/applications/{a_file}").text
    page = officer_client.get(f"/applications/{b_file}").text
    flag = page.split('id="declaration-mismatch"', 1)[1].split("</section>", 1)[0]
    assert "Xavier" in flag and "Annelies" in flag and "Probe" in flag and "Vandenbroucke" in flag
    assert "Date of birth" not in flag  # the number holds the birth date, and both typed it


def test_a_date_of_birth_differing_from_the_record_is_flagged(as_role, factory):
    officer_client, _officer = as_role("officer")
    first = factory.application("submitted", person=_document())
    second = factory.application("submitted", person=_document(date_of_birth=date(1991, 2, 3)))
    assert first.person_id == second.person_id
    page = officer_client.get(f"/applications/{second.id}").text
    flag = page.split('id="declaration-mismatch"', 1)[1].split("</section>", 1)[0]
    row = flag.split("Date of birth", 1)[1].split("</tr>", 1)[0]
    assert "1991" in row and "1990" in row


# -- the draft, editable until submitted (issue 15 item 6) ------------------------------------------------
def _edit_page(client, file_id: int):
    page = client.get(f"/applications/{file_id}/edit")
    assert page.status_code == 200, page.text[:300]
    return page


def _edit(client, file_id: int, **changes: str):
    page = _edit_page(client, file_id)
    fields = dict(re.findall(r'<input[^>]*?id="([a-z_]+)"[^>]*?value="([^"]*)"', page.text))
    selected = dict(re.findall(r'<select[^>]*?id="([a-z_]+)".*?<option selected value="([^"]*)"', page.text, re.S))
    data = {**fields, **selected, **changes, "csrf_token": csrf_token(page.text)}
    return client.post(f"/applications/{file_id}/edit", data=data)


def test_the_file_shows_the_declared_email_and_language_to_its_employer(as_role, factory):
    client, _user = as_role("requester")
    other_client, _other = as_role("requester")
    file_id = _declare(client, factory.function().id, **A_NAMES, email="annelies@mail.example", locale="fr")
    page = client.get(f"/applications/{file_id}").text
    assert "annelies@mail.example" in page.split('id="declared-email"', 1)[1].split("</dd>", 1)[0]
    assert "Français" in page.split('id="declared-language"', 1)[1].split("</dd>", 1)[0]
    assert other_client.get(f"/applications/{file_id}").status_code == 404


def test_a_draft_is_edited_with_the_same_form_and_audited(as_role, factory):
    client, _user = as_role("requester")
    function = factory.function()
    file_id = _declare(client, function.id, **A_NAMES, email="old@mail.example")
    page = _edit_page(client, file_id)
    assert 'value="Annelies"' in page.text and 'value="old@mail.example"' in page.text
    assert "Edit" in client.get(f"/applications/{file_id}").text
    response = _edit(client, file_id, given_names="Anneleen", email="new@mail.example", locale="en")
    assert response.status_code == 302
    fresh()
    application = db.session.get(Application, file_id)
    assert (application.declared_given_names, application.declared_email, application.declared_locale) == (
        "Anneleen", "new@mail.example", "en"
    )  # fmt: skip
    assert application.version == 2
    assert db.session.get(Person, application.person_id).given_names == "Annelies"  # the record stays
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "edit"))
    assert entry.object_id == file_id and entry.reason == "changed: given_names, email, locale"
    assert "new@mail.example" not in (entry.reason or "")
    assert "Draft edited" in client.get(f"/applications/{file_id}").text


def test_an_edit_is_checked_like_a_new_application(as_role, factory):
    client, _user = as_role("requester")
    file_id = _declare(client, factory.function().id, **A_NAMES)
    before = (_count(AuditEntry), db.session.get(Application, file_id).version)
    for changes, field in (
        ({"given_names": "   "}, "given_names"),
        ({"national_number": "", "document_number": "  "}, "national_number"),
        ({"national_number": "", "document_number": "AB123456", "document_type": ""}, "document_type"),
    ):
        response = _edit(client, file_id, **changes)
        assert response.status_code == 422
        segment = response.text.split(f'id="{field}"', 1)[1].split('<div class="mb-3">', 1)[0]
        assert 'class="invalid-feedback"' in segment
    fresh()
    assert (_count(AuditEntry), db.session.get(Application, file_id).version) == before
    assert db.session.get(Application, file_id).declared_given_names == "Annelies"


def test_an_edit_on_a_stale_version_is_refused(as_role, factory):
    client, _user = as_role("requester")
    file_id = _declare(client, factory.function().id, **A_NAMES)
    page = _edit_page(client, file_id)
    assert _edit(client, file_id, family_name="First").status_code == 302
    fields = dict(re.findall(r'<input[^>]*?id="([a-z_]+)"[^>]*?value="([^"]*)"', page.text))
    selected = dict(re.findall(r'<select[^>]*?id="([a-z_]+)".*?<option selected value="([^"]*)"', page.text, re.S))
    stale = {**fields, **selected, "family_name": "Second", "csrf_token": csrf_token(page.text)}
    response = client.post(f"/applications/{file_id}/edit", data=stale)
    assert response.status_code == 409
    assert "Someone else changed this application" in response.text
    fresh()
    assert db.session.get(Application, file_id).declared_family_name == "First"


def test_only_the_own_requester_edits_and_only_a_draft(as_role, factory):
    client, _user = as_role("requester")
    other_client, _other = as_role("requester")
    officer_client, _officer = as_role("officer")
    file_id = _declare(client, factory.function().id, **A_NAMES)
    assert other_client.get(f"/applications/{file_id}/edit").status_code == 404
    assert officer_client.get(f"/applications/{file_id}/edit").status_code == 403
    assert act(client, file_id, "submit").status_code == 302
    assert client.get(f"/applications/{file_id}/edit").status_code == 404
    assert "/edit" not in client.get(f"/applications/{file_id}").text
    application = db.session.get(Application, file_id)
    with pytest.raises(Exception, match="Only a draft can be edited"):
        operations.edit_draft(
            application, Actor.of(_user), vault(), function_id=application.function_id,
            person=PersonDetails("X", "Y", BORN, "BE", national_number=NUMBER), expected_version=application.version,
        )  # fmt: skip


def test_a_corrected_identifier_links_the_draft_to_that_person_and_drops_the_draft_made_record(as_role, factory):
    client, _user = as_role("requester")
    file_id = _declare(client, factory.function().id, **A_NAMES)
    fresh()
    wrong = db.session.get(Application, file_id).person_id
    right = make_national_number(BORN, 219)
    assert _edit(client, file_id, national_number=right).status_code == 302
    fresh()
    application = db.session.get(Application, file_id)
    assert application.person_id != wrong
    assert db.session.get(Person, wrong) is None  # nothing else referred to it
    assert identity_hash(vault(), PersonDetails("A", "B", BORN, "BE", national_number=right)) == (
        db.session.get(Person, application.person_id).identity_hash
    )


def test_editing_at_the_same_time_as_a_submit_is_a_conflict(app, factory):
    """The submit moved the version on: an edit made from the draft's page is refused, nothing changes."""
    requester = factory.user("requester")
    application = factory.application("draft", requester=requester)
    seen = application.version
    operations.fire(application, "submit", Actor.of(requester), settings().deadlines, now=datetime.now(UTC))
    db.session.commit()
    with pytest.raises(Exception, match="Someone else changed"):
        operations.edit_draft(
            application, Actor.of(requester), vault(), function_id=application.function_id,
            person=PersonDetails("X", "Y", BORN, "BE", national_number=NUMBER), expected_version=seen,
        )  # fmt: skip


def test_the_subject_export_holds_each_employers_declaration_and_the_mail_to_its_address(as_role, factory):
    """The person's right of access covers what every employer declared, and the mail sent to those addresses."""
    a_client, _a = as_role("requester")
    b_client, _b = as_role("requester")
    officer_client, _officer = as_role("officer")
    function = factory.function()
    a_file = _declare(a_client, function.id, **A_NAMES, email="")
    b_file = _declare(b_client, function.id, **B_NAMES, email=ATTACKER)
    assert act(b_client, b_file, "submit").status_code == 302
    fresh()
    person_id = db.session.get(Application, a_file).person_id
    data = officer_client.get(f"/people/{person_id}/export.json").get_json()
    declared = {file["reference"]: file["declared_by_the_employer"] for file in data["applications"]}
    assert {d["given_names"] for d in declared.values()} == {"Annelies", "Xavier"}
    assert {d["email"] for d in declared.values()} == {None, ATTACKER}
    assert [m["subject"] for m in data["mail_sent"]] == [_mail_to(ATTACKER)[0].subject]


def test_erasure_removes_the_declaration_with_the_file(app, factory):
    declared = _document(date_of_birth=date(1990, 6, 7), email="e@x.example")
    application = factory.application("withdrawn", person=declared)
    erase_files([application.id], Actor.system("test"), datetime.now(UTC))
    db.session.commit()
    fresh()
    erased = db.session.get(Application, application.id)
    assert (erased.declared_given_names, erased.declared_family_name, erased.declared_email) == (
        "erased", "erased", None
    )  # fmt: skip
    assert (erased.declared_search_name, erased.declared_search_given) == ("erased", "erased")
    assert erased.declared_date_of_birth == date(1990, 1, 1)

"""Data subject tools: an officer exports everything held about one person (JSON and PDF, audited) and erases
their data where the law allows, leaving anonymised statistics and an audit entry; nobody else may."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import func, select

from screening.actors import Actor
from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.auth.models import User
from screening.clock import utcnow
from screening.db import db
from screening.extensions import vault
from screening.people.models import Person
from screening.workforce.operations import MemberFields, add_member
from tests.conftest import csrf_token, fresh


def _person(application) -> Person:
    fresh()
    return db.session.get(Person, db.session.get(Application, application.id).person_id)


def test_officer_exports_everything_held_as_json_and_pdf(factory, as_role):
    officer_client, officer = as_role("officer")
    details = factory.person_details(family_name="Wiśniewska", email="anna@mail.example")
    application = factory.application("negative", person=details, mail=True)
    manager = db.session.get(User, application.created_by_id)
    add_member(Actor.of(manager), vault(), manager.organisation_id, MemberFields(
        "P-7", details.given_names, details.family_name, details.date_of_birth, application.function_id,
        details.date_of_birth + timedelta(days=8000), details.national_number,
    ))  # fmt: skip
    db.session.commit()
    person = _person(application)
    found = officer_client.get("/people", query_string={"number": details.national_number})
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/people/{person.id}")
    page = officer_client.get(f"/people/{person.id}")
    assert page.status_code == 200 and "Wiśniewska" in page.text
    assert "is still open" in page.text  # a negative advice inside its appeal window

    response = officer_client.get(f"/people/{person.id}/export.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["person"]["family_name"] == "Wiśniewska"
    assert data["person"]["national_number"] == vault().decrypt(person.national_number_encrypted)
    (file,) = data["applications"]
    assert (file["reference"], file["state"], file["grounds"]) == (
        application.reference,
        "negative",
        "text for advise_negative",
    )
    (entry,) = data["staff_registers"]
    assert (entry["personnel_number"], entry["family_name"], entry["ended_on"]) == ("P-7", "Wiśniewska", None)
    assert entry["national_number"].endswith("-***.**")
    assert [m["subject"] for m in data["mail_sent"]]  # the consent request and the advice notice
    assert {"create", "submit", "advise_negative"} <= {e["action"] for e in data["audit_trail"]}

    pdf = officer_client.get(f"/people/{person.id}/export.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Wiśniewska" in text and application.reference in text and "P-7" in text

    fresh()
    exports = db.session.execute(
        select(AuditEntry.action, AuditEntry.actor).where(AuditEntry.object_type == "person")
    ).all()
    assert sorted(exports) == [("export_subject_json", officer.username), ("export_subject_pdf", officer.username)]


def test_only_officers_reach_the_tools(factory, as_role):
    application = factory.application("withdrawn")
    person = _person(application)
    for role in ("requester", "hr", "admin", "auditor"):
        client, _ = as_role(role)
        for path in (f"/people/{person.id}", f"/people/{person.id}/export.json", "/people"):
            assert client.get(path).status_code == 403, (role, path)


def test_erasure_is_refused_while_a_file_is_open_or_a_clearance_covers(factory, as_role):
    officer_client, _ = as_role("officer")
    for state, message in (("negative", "is still open"), ("positive", "still covers this person")):
        application = factory.application(state)
        person = _person(application)
        page = officer_client.get(f"/people/{person.id}")
        forced = officer_client.post(
            f"/people/{person.id}/erase", data={"csrf_token": csrf_token(page.text), "confirm": "y"}
        )
        assert forced.status_code == 409 and message in forced.text
        assert _person(application).erased_at is None


def test_erasure_leaves_statistics_and_an_audit_entry(factory, as_role):
    officer_client, officer = as_role("officer")
    details = factory.person_details(family_name="Nowak")
    refused = factory.application("consent_refused", person=details)
    withdrawn = factory.application("withdrawn", person=details)
    person = _person(refused)
    page = officer_client.get(f"/people/{person.id}")
    unconfirmed = officer_client.post(f"/people/{person.id}/erase", data={"csrf_token": csrf_token(page.text)})
    assert unconfirmed.status_code == 422 and _person(refused).erased_at is None
    response = officer_client.post(
        f"/people/{person.id}/erase", data={"csrf_token": csrf_token(page.text), "confirm": "y"}
    )
    assert response.status_code == 302
    assert "erased from 2 files" in officer_client.get(response.headers["Location"]).text
    erased = _person(refused)
    assert erased.erased_at is not None and erased.family_name == "erased"
    assert erased.national_number_encrypted is None and erased.email is None
    stored = db.session.get(Application, withdrawn.id)
    assert (stored.state, stored.organisation_id, stored.withdrawal_reason) == (
        "withdrawn",
        withdrawn.organisation_id,
        None,
    )
    assert db.session.scalar(select(func.count()).select_from(Application)) == 2  # still counted
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "erase_on_request")).one()
    assert (entry.actor, entry.object_id) == (officer.username, person.id)
    # the number no longer finds anyone: the person is gone
    assert officer_client.get("/people", query_string={"number": details.national_number}).status_code == 404


def test_erasure_waits_for_the_appeal_window(factory, as_role):
    from screening.actors import Actor
    from screening.subjects.operations import erase_person

    application = factory.application("negative")
    officer = Actor(label="o", role="officer")
    import pytest

    from screening.errors import Conflict

    with pytest.raises(Conflict, match="still open"):
        erase_person(_person(application), officer, utcnow())
    fresh()
    stored = db.session.get(Application, application.id)
    from scheduler.runner import run_job

    assert run_job(factory.app, "appeal_windows", holder="t", now=utcnow() + timedelta(days=20)).status == "done"
    fresh()
    assert db.session.get(Application, stored.id).state == "final_negative"
    assert erase_person(_person(application), officer, utcnow()) == 1


def test_the_pdf_export_speaks_the_officers_language(factory, as_role):
    officer_client, _ = as_role("officer")
    application = factory.application("negative")
    person = _person(application)
    pdf = officer_client.get(f"/people/{person.id}/export.pdf", headers={"Accept-Language": "fr"})
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    for french in ("Données personnelles conservées", "Demandes (1)", "Numéro d'enregistrement",
                   "Journal d'audit des dossiers", "Date de naissance", "Généré le"):  # fmt: skip
        assert french in text, french
    assert "Audit trail" not in text and "date of birth" not in text.lower()

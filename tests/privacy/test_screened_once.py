"""Screened once, with the person's say (the UK DBS Update Service model): an employer learns that a person
is covered by a valid clearance only after the person consents to this employer relying on it. Before the
consent, the file of a cleared person and the file of anyone else look the same to the employer: the same
state, the same page, the same mail, the same letter, nothing in the clearance register."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import time_machine
from sqlalchemy import select

from screening.actors import Actor
from screening.applications.models import Application
from screening.applications.operations import fire
from screening.db import db
from screening.extensions import settings
from screening.notifications.models import OutboxMessage
from screening.people.models import Person
from tests.conftest import fresh
from tests.privacy.conftest import act

NOON = datetime(2026, 6, 10, 10, 0, tzinfo=UTC)


def _neutral(text: str, application: Application) -> str:
    """The text with what names this one file replaced: its reference, id, person, links and form tokens."""
    person = db.session.get(Person, application.person_id)
    for value, mark in (
        (application.reference, "REF"),
        (person.given_names, "GIVEN"),
        (person.family_name, "FAMILY"),
        (person.email or "-", "EMAIL"),
    ):
        text = text.replace(value, mark)
    text = re.sub(r"/p/[A-Za-z0-9_.\-]+", "/p/TOKEN", text)
    text = re.sub(r'<path fill="#000" d="[^"]+"', "QR", text)  # the consent link's QR code
    text = re.sub(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}\b|\bF\d-[0-9A-Z]{6}\b", "CODE", text)  # short code, form code
    text = re.sub(r'name="csrf_token"[^>]*value="[^"]+"|value="[^"]+"[^>]*name="[^"]*csrf_token"', "CSRF", text)
    text = re.sub(r'(id|name)="[a-z_]+-csrf_token"[^>]*>', "CSRF>", text)
    text = re.sub(rf"/applications/{application.id}\b", "/applications/ID", text)
    text = re.sub(r"\b\d{2}\.\d{2}\.\d{2}-[\d.*]+", "NRN", text)  # the masked national register number
    born = r"\b[A-Z][a-z]{2} \d{1,2}, 19\d\d\b|\b\d{1,2} [A-Za-zéû]{3,9}\.? 19\d\d\b|\b19\d\d-\d{2}-\d{2}\b"
    return re.sub(born, "BORN", text)  # the date of birth, in English or in the letter's language


def _files(factory, requester):
    """A file for a person who holds a valid clearance (from another employer) and one for a new person."""
    cleared = factory.person_details()
    factory.application("positive", person=cleared, now=NOON)
    function = factory.function()
    covered = factory.application("draft", requester=requester, person=cleared, function=function, now=NOON)
    new = factory.application("draft", requester=requester, function=function, now=NOON)
    return covered, new


def test_before_consent_covered_and_not_covered_look_the_same(as_role, factory):
    with time_machine.travel(NOON, tick=False):
        client, requester = as_role("requester")
        hr_client, _hr = as_role("hr", requester.organisation)
        covered, new = _files(factory, requester)
        for application in (covered, new):
            assert act(client, application.id, "submit").status_code == 302
            client.get(f"/applications/{application.id}")  # the flash message shown once
        fresh()
        stored = {a.id: db.session.get(Application, a.id) for a in (covered, new)}
        assert {(a.state, a.clearance_id, a.submitted_at) for a in stored.values()} == {
            ("awaiting_consent", None, None)
        }

        pages = [_neutral(client.get(f"/applications/{a.id}").text, a) for a in (covered, new)]
        assert pages[0] == pages[1]
        assert "valid clearance" not in pages[0]
        letters = [_neutral(client.get(f"/applications/{a.id}/letter").text, a) for a in (covered, new)]
        assert letters[0] == letters[1]
        mails = [
            db.session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.template == "consent_request", OutboxMessage.idempotency_key.like(f"%:{a.id}:%")
                )
            ).one()
            for a in (covered, new)
        ]
        assert _neutral(mails[0].subject, covered) == _neutral(mails[1].subject, new)
        assert _neutral(mails[0].body, covered) == _neutral(mails[1].body, new)
        listing = client.get("/applications").text
        rows = [_neutral(re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{a.reference}.*?</tr>", listing, re.S).group(0), a)
                for a in (covered, new)]  # fmt: skip
        assert rows[0] == rows[1]
        assert "/clearances/" not in hr_client.get("/clearances").text  # the register relies on nothing yet

        for application in (covered, new):  # the person consents to this employer relying on it
            fire(stored[application.id], "consent", Actor.person(application.person_id), settings().deadlines)
        db.session.commit()
        fresh()
        assert db.session.get(Application, covered.id).state == "covered"
        assert db.session.get(Application, new.id).state == "submitted"
        assert "already holds a valid clearance" in client.get(f"/applications/{covered.id}").text
        assert "/clearances/" in hr_client.get("/clearances").text

"""The person's signed link: consent once, refusal, withdrawal, expiry, forgery and replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.db import db
from screening.person_link.tokens import make_link_token
from tests.conftest import csrf_token, fresh


def _link(app, application) -> str:
    with app.test_request_context():
        from screening.person_link.views import link_for

        return "/p/" + link_for(application).rsplit("/p/", 1)[1]


def _answer(client, link: str, event: str):
    page = client.get(link)
    return client.post(f"{link}/{event}", data={"csrf_token": csrf_token(page.text)})


def _state(application_id: int) -> str:
    fresh()
    return db.session.get(Application, application_id).state


def test_consent_through_the_link_once(app, factory):
    application = factory.application("awaiting_consent")
    link = _link(app, application)
    client = app.test_client()
    page = client.get(link)
    assert page.status_code == 200
    assert "I consent to the verification" in page.text
    assert application.reference in page.text
    response = _answer(client, link, "consent")
    assert response.status_code == 302
    assert _state(application.id) == "submitted"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "consent")).one()
    assert (entry.role, entry.actor) == ("person", f"person:{application.person_id}")
    # replay: the same link and the same answer change nothing
    page = client.get(link)
    assert "I consent" not in page.text
    replay = client.post(f"{link}/consent", data={"csrf_token": csrf_token(page.text)})
    assert replay.status_code == 409
    assert "no longer possible" in replay.text
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "consent")).all()) == 1


def test_refusal(app, factory):
    application = factory.application("awaiting_consent")
    link = _link(app, application)
    assert _answer(app.test_client(), link, "refuse").status_code == 302
    assert _state(application.id) == "consent_refused"


def test_withdraw_consent_before_the_advice_only(app, factory):
    application = factory.application("awaiting_consent")
    link = _link(app, application)
    client = app.test_client()
    _answer(client, link, "consent")
    assert "Withdraw my consent" in client.get(link).text
    assert _answer(client, link, "withdraw_consent").status_code == 302
    assert _state(application.id) == "withdrawn"
    decided = factory.application("awaiting_consent")
    decided_link = _link(app, decided)
    _answer(client, decided_link, "consent")
    from screening.actors import Actor
    from screening.applications.operations import fire
    from screening.extensions import settings

    fresh()
    stored = db.session.get(Application, decided.id)
    officer = Actor(label="o", role="officer")
    fire(stored, "start_review", officer, settings().deadlines)
    fire(stored, "advise_negative", officer, settings().deadlines, reason="Confidential police facts")
    db.session.commit()
    page = client.get(decided_link)
    assert "Withdraw my consent" not in page.text
    assert "Confidential police facts" not in page.text
    assert "appeal" in page.text
    assert _answer(client, decided_link, "withdraw_consent").status_code == 409


@pytest.mark.parametrize("damage", ["flip", "truncate", "other-secret", "other-file"])
def test_forged_or_damaged_links_are_refused(app, factory, damage):
    application = factory.application("awaiting_consent")
    other = factory.application("awaiting_consent")
    link = _link(app, application)
    token = link.rsplit("/", 1)[1]
    if damage == "flip":
        token = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    elif damage == "truncate":
        token = token[:-10]
    elif damage == "other-secret":
        token = make_link_token("another-secret", application.id, application.person_id, application.state_changed_at)
    else:  # validly signed, but for an application of another person
        token = make_link_token(app.config["SECRET_KEY"], other.id, application.person_id, application.state_changed_at)
    client = app.test_client()
    assert client.get(f"/p/{token}").status_code == 404
    page = client.get(_link(app, other))
    response = client.post(f"/p/{token}/consent", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 404
    assert "This link is not valid." in response.text
    assert _state(application.id) == "awaiting_consent"
    assert _state(other.id) == "awaiting_consent"


def test_links_expire(app, factory):
    application = factory.application("awaiting_consent")
    link = _link(app, application)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=91), tick=False):
        response = app.test_client().get(link)
    assert response.status_code == 410
    assert "This link has expired." in response.text


def test_requester_prints_the_consent_letter(as_role, factory, app):
    client, requester = as_role("requester")
    application = factory.application("awaiting_consent", requester=requester)
    letter = client.get(f"/applications/{application.id}/letter")
    assert letter.status_code == 200
    # the letter's link opens this file (its signature carries the second it was made, so compare contents)
    import re

    from screening.person_link.tokens import read_link_token

    token = re.search(r"/p/([A-Za-z0-9_.\-]+)", letter.text).group(1)
    link = read_link_token(app.config["SECRET_KEY"], token, 1)
    assert (link.application_id, link.person_id) == (application.id, application.person_id)
    assert app.test_client().get(f"/p/{token}").status_code == 200
    other_client, _ = as_role("requester")
    assert other_client.get(f"/applications/{application.id}/letter").status_code == 404

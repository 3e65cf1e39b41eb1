"""The consent link of the mail: it works once for its purpose (then shows nothing of the file), expires with
the consent period, cannot be forged (another key, another purpose's salt, edited payload) nor used for
another file."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.db import db
from tests.conftest import csrf_token, fresh
from tests.privacy.conftest import act, new_application


def _mailed_link(client, factory) -> tuple[int, str]:
    from screening.notifications.models import OutboxMessage

    application_id = new_application(client, factory.function().id, email="lea@example.org")
    assert act(client, application_id, "submit").status_code == 302
    fresh()
    body = db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.template == "consent_request")).one()
    return application_id, re.search(r"https?://\S+(/p/\S+)", body).group(1)


def _consent(client, link: str):
    page = client.get(link)
    return (
        client.post(f"{link}/consent", data={"csrf_token": csrf_token(page.text)}) if page.status_code == 200 else page
    )


def test_the_mailed_link_works_once(as_role, factory, app):
    client, _ = as_role("requester")
    application_id, link = _mailed_link(client, factory)
    person = app.test_client()
    assert _consent(person, link).status_code == 302
    replay = _consent(person, link)
    assert replay.status_code == 410 and "already been used" in replay.text
    fresh()
    consents = db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "consent"))
    assert consents == 1
    assert db.session.get(Application, application_id).state == "submitted"
    gone = person.get(link)  # the state of the file is for the person's own link only
    assert gone.status_code == 410 and db.session.get(Application, application_id).reference not in gone.text


def test_the_mailed_link_expires(as_role, factory, app):
    client, _ = as_role("requester")
    application_id, link = _mailed_link(client, factory)
    days = app.extensions["screening.config"].deadlines.consent_expiry_days
    with time_machine.travel(datetime.now(UTC) + timedelta(days=days + 1, hours=1), tick=False):
        response = _consent(app.test_client(), link)
    assert response.status_code == 410 and "no longer valid" in response.text
    fresh()
    assert db.session.get(Application, application_id).state == "awaiting_consent"


@pytest.mark.parametrize("forgery", ["other-salt", "edited-payload", "other-file"])
def test_forged_links_change_nothing(as_role, factory, app, forgery):
    client, _ = as_role("requester")
    application_id, link = _mailed_link(client, factory)
    other = factory.application("awaiting_consent")
    secret = app.config["SECRET_KEY"]
    token = link.rsplit("/", 1)[1]
    if forgery == "other-salt":  # a token the application signs for another purpose
        token = URLSafeTimedSerializer(secret, salt="screening.certificates").dumps([application_id, 1, 0.0])
    elif forgery == "edited-payload":  # the same signature over another file's number
        _payload, rest = token.split(".", 1)
        forged = URLSafeTimedSerializer("x").dump_payload([other.id, other.person_id, 0.0]).decode()
        token = f"{forged}.{rest}"
    else:  # a valid signature, but the person of this file with another file
        token = URLSafeTimedSerializer(secret, salt="screening.person-link.v1").dumps(
            [other.id, db.session.get(Application, application_id).person_id, 0.0]
        )
    response = _consent(app.test_client(), f"/p/{token}")
    assert response.status_code == 404 and "This link is not valid." in response.text
    fresh()
    assert db.session.get(Application, application_id).state == "awaiting_consent"
    assert db.session.get(Application, other.id).state == "awaiting_consent"

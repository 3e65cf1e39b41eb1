"""The person's two links: the consent link (printable, single use, only the consent page) and the file link
(mailed only to the address the person gave, the only way to the notices and disclosed grounds)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from screening.actors import Actor
from screening.applications.models import Application
from screening.applications.operations import fire
from screening.audit.models import AuditEntry
from screening.db import db
from screening.extensions import settings
from screening.notifications.models import OutboxMessage
from screening.person_link.tokens import LEGACY_SALT, make_file_token, make_link_token
from tests.conftest import csrf_token, fresh

DISCLOSED = "You were convicted of smuggling in 2019."
GROUNDS = "Confidential police facts from the investigation."


def _link(app, application) -> str:
    with app.test_request_context():
        from screening.person_link.views import link_for

        return "/p/" + link_for(application).rsplit("/p/", 1)[1]


def _answer(client, link: str, event: str, email: str | None = "own@person.example"):
    page = client.get(link)
    data = {"csrf_token": csrf_token(page.text) if page.status_code == 200 else _any_token(client)}
    if email is not None:
        data["email"] = email
    return client.post(f"{link}/{event}", data=data)


def _any_token(client) -> str:
    return csrf_token(client.get("/c").text)


def letter_link(client, application_id: int, person) -> str:
    """The consent link a person reaches from the printed letter: its short code typed in at the short URL."""
    letter = client.get(f"/applications/{application_id}/letter").text
    code = re.search(r'id="consent-code">([0-9A-Z-]+)<', letter).group(1)
    response = person.post("/c", data={"csrf_token": _any_token(person), "code": code})
    assert response.status_code == 302, response.text[:300]
    return response.headers["Location"]


def _state(application_id: int) -> str:
    fresh()
    return db.session.get(Application, application_id).state


def _file_link_mail(application_id: int) -> OutboxMessage | None:
    fresh()
    return db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.template == "person_file_link", OutboxMessage.idempotency_key.like(f"%:{application_id}:%")
        )
    ).one_or_none()


def _advise_negative(application_id: int) -> None:
    fresh()
    stored = db.session.get(Application, application_id)
    officer = Actor(label="o", role="officer")
    fire(stored, "start_review", officer, settings().deadlines)
    fire(stored, "advise_negative", officer, settings().deadlines, reason=GROUNDS, disclosed_grounds=DISCLOSED)
    db.session.commit()


def _nothing_of_the_file(response, application) -> None:
    assert response.status_code == 410
    for secret in (application.reference, DISCLOSED, GROUNDS, "Negative", "appeal", "Withdraw", "I consent"):
        assert secret not in response.text, secret


def test_consent_through_the_link_once(app, factory):
    application = factory.application("awaiting_consent")
    link = _link(app, application)
    client = app.test_client()
    page = client.get(link)
    assert page.status_code == 200
    assert "I consent to the verification" in page.text and application.reference in page.text
    assert "person" in page.text and 'name="email"' in page.text  # the declared address, to confirm or change
    response = _answer(client, link, "consent")
    assert response.status_code == 302 and response.headers["Location"].endswith("/p/answered")
    assert _state(application.id) == "submitted"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "consent")).one()
    assert (entry.role, entry.actor) == ("person", f"person:{application.person_id}")
    # single use: the link now opens nothing of the file, and a replay changes nothing
    _nothing_of_the_file(client.get(link), application)
    replay = _answer(client, link, "refuse")
    _nothing_of_the_file(replay, application)
    assert _state(application.id) == "submitted"
    assert db.session.scalar(select(func.count()).where(AuditEntry.action.in_(("consent", "refuse")))) == 1


def test_the_file_link_goes_only_to_the_address_the_person_gave(app, factory):
    application = factory.application("awaiting_consent")  # the employer declared person<n>@mail.example
    client = app.test_client()
    assert _answer(client, _link(app, application), "consent", email="mine@private.example").status_code == 302
    mail = _file_link_mail(application.id)
    assert mail.recipient == "mine@private.example"
    assert db.session.scalar(select(func.count()).where(OutboxMessage.recipient.like("%@mail.example"))) == 0
    file_link = re.search(r"https?://\S+(/my/\S+)", mail.body).group(1)
    page = app.test_client().get(file_link)
    assert page.status_code == 200 and application.reference in page.text and "Withdraw my consent" in page.text
    # the advice: the notice with the disclosed grounds goes to that address with the file link, not elsewhere
    _advise_negative(application.id)
    notice = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "advice_notice")).one()
    assert notice.recipient == "mine@private.example" and DISCLOSED in notice.body and "/my/" in notice.body
    reads = select(func.count()).where(AuditEntry.action == "read_disclosed_grounds", AuditEntry.role == "person")
    before = db.session.scalar(reads)
    page = app.test_client().get(file_link)
    assert DISCLOSED in page.text and GROUNDS not in page.text and "Withdraw my consent" not in page.text
    # the person's own read of the grounds disclosed to them is on the trail too (every read, whoever reads)
    fresh()
    assert before == 0 and db.session.scalar(reads) == 1
    assert app.test_client().get(f"{file_link}/notice.pdf").status_code == 200
    fresh()
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "download_notice")) == 1


def test_without_an_address_no_file_link_and_no_notice_by_mail(app, factory):
    application = factory.application("awaiting_consent")
    assert _answer(app.test_client(), _link(app, application), "consent", email="").status_code == 302
    assert _file_link_mail(application.id) is None
    _advise_negative(application.id)
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "advice_notice")).all() == []
    token = make_file_token(app.config["SECRET_KEY"], application.id, application.person_id)
    assert app.test_client().get(f"/my/{token}").status_code == 404  # a file link needs the person's address


def test_the_letter_link_opened_after_the_advice_shows_nothing(as_role, factory, app):
    client, requester = as_role("requester")
    application = factory.application("awaiting_consent", requester=requester)
    link = letter_link(client, application.id, app.test_client())
    legacy = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=LEGACY_SALT).dumps(
        [application.id, application.person_id, round(application.state_changed_at.timestamp(), 3)]
    )  # a letter printed before the two links: consent-only rights too
    assert app.test_client().get(f"/p/{legacy}").status_code == 200
    assert _answer(app.test_client(), link, "consent").status_code == 302
    _advise_negative(application.id)
    employer = app.test_client()  # the employer kept the letter
    for path in (link, f"/p/{legacy}"):
        _nothing_of_the_file(employer.get(path), application)
        _nothing_of_the_file(employer.post(f"{path}/consent", data={"csrf_token": _any_token(employer)}), application)
    assert employer.get(link.replace("/p/", "/my/")).status_code == 404  # not a file link either


def test_an_old_link_answers_an_open_request_only(app, factory):
    application = factory.application("awaiting_consent")
    legacy = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=LEGACY_SALT).dumps(
        [application.id, application.person_id, round(application.state_changed_at.timestamp(), 3)]
    )
    assert _answer(app.test_client(), f"/p/{legacy}", "refuse").status_code == 302
    assert _state(application.id) == "consent_refused"
    assert app.test_client().get(f"/my/{legacy}").status_code == 404


def test_withdraw_consent_through_the_file_link_before_the_advice_only(app, factory):
    application = factory.application("awaiting_consent")
    client = app.test_client()
    _answer(client, _link(app, application), "consent")
    file_link = re.search(r"(/my/\S+)", _file_link_mail(application.id).body).group(1)
    page = client.get(file_link)
    response = client.post(f"{file_link}/withdraw_consent", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    assert _state(application.id) == "withdrawn"
    page = client.get(file_link)
    assert "Withdraw my consent" not in page.text
    replay = client.post(f"{file_link}/withdraw_consent", data={"csrf_token": csrf_token(page.text)})
    assert replay.status_code == 409
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "withdraw_consent")) == 1


@pytest.mark.parametrize("damage", ["flip", "truncate", "other-secret", "other-file", "file-token", "huge-id"])
def test_forged_or_damaged_links_are_refused(app, factory, damage):
    application = factory.application("awaiting_consent")
    other = factory.application("awaiting_consent")
    secret = app.config["SECRET_KEY"]
    token = _link(app, application).rsplit("/", 1)[1]
    if damage == "flip":
        token = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    elif damage == "truncate":
        token = token[:-10]
    elif damage == "other-secret":
        token = make_link_token("another-secret", application.id, application.person_id, application.state_changed_at)
    elif damage == "other-file":  # validly signed, but for an application of another person
        token = make_link_token(secret, other.id, application.person_id, application.state_changed_at)
    elif damage == "file-token":  # the person's file link is no consent link
        token = make_file_token(secret, application.id, application.person_id)
    else:
        token = URLSafeTimedSerializer(secret, salt="screening.consent-link.v1").dumps([2**64, 2**64, 0.0])
    client = app.test_client()
    assert client.get(f"/p/{token}").status_code == 404
    response = client.post(f"/p/{token}/consent", data={"csrf_token": _any_token(client), "email": "x@y.example"})
    assert response.status_code == 404
    assert "This link is not valid." in response.text
    assert _state(application.id) == "awaiting_consent" and _state(other.id) == "awaiting_consent"


def test_consent_links_expire_with_the_consent_period(app, factory):
    application = factory.application("awaiting_consent")
    link = _link(app, application)
    days = settings().deadlines.consent_expiry_days
    with time_machine.travel(datetime.now(UTC) + timedelta(days=days + 2), tick=False):
        response = app.test_client().get(link)
    assert response.status_code == 410 and application.reference not in response.text


def test_a_bad_address_is_refused_at_the_field_and_changes_nothing(app, factory):
    application = factory.application("awaiting_consent")
    response = _answer(app.test_client(), _link(app, application), "consent", email="not an address\x00")
    assert response.status_code == 422 and "is-invalid" in response.text
    assert _state(application.id) == "awaiting_consent"


def test_requester_prints_the_consent_letter(as_role, factory, app):
    client, requester = as_role("requester")
    application = factory.application("awaiting_consent", requester=requester)
    assert client.get(f"/applications/{application.id}/letter").status_code == 200
    from screening.person_link.tokens import read_link_token

    token = letter_link(client, application.id, app.test_client()).rsplit("/p/", 1)[1]
    link = read_link_token(app.config["SECRET_KEY"], token, 1)
    assert (link.application_id, link.person_id) == (application.id, application.person_id)
    assert app.test_client().get(f"/p/{token}").status_code == 200
    other_client, _ = as_role("requester")
    assert other_client.get(f"/applications/{application.id}/letter").status_code == 404

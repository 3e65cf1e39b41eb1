"""The requester's and officer's screens, driven through HTTP with real forms and CSRF."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from screening.actors import Actor
from screening.applications.models import Application
from screening.applications.operations import fire
from screening.audit.models import AuditEntry
from screening.clearances.models import Clearance
from screening.db import db
from screening.extensions import settings
from screening.people.identifiers import make_national_number
from screening.people.models import Person
from tests.conftest import Factory, csrf_token, fresh, step_fields


def _count(model) -> int:
    fresh()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _form(function: int, **overrides):
    born = date(1985, 7, 30)
    data = {
        "given_names": "Mehmet",
        "family_name": "Çelik",
        "date_of_birth": born.isoformat(),
        "nationality": "BE",
        "national_number": make_national_number(born, 33),
        "document_number": "",
        "email": "mehmet@example.org",
        "function_id": str(function),
    }
    data.update(overrides)
    return data


def _post_new(client, data):
    page = client.get("/applications/new")
    assert page.status_code == 200
    return client.post("/applications/new", data={**data, "csrf_token": csrf_token(page.text)})


def test_requester_creates_a_draft(as_role, factory):
    client, user = as_role("requester")
    function = factory.function()
    response = _post_new(client, _form(function.id))
    assert response.status_code == 302
    detail = client.get(response.headers["Location"])
    assert "Çelik" in detail.text and "Draft" in detail.text
    application = db.session.scalar(select(Application))
    assert application.organisation_id == user.organisation_id
    assert application.reference.startswith(f"SCR-{date.today().year}-")
    person = db.session.get(Person, application.person_id)
    assert person.national_number_masked == "85.07.30-***.**"
    assert make_national_number(date(1985, 7, 30), 33) not in (person.national_number_encrypted or "")


BAD_INPUT = [
    ({"national_number": "85.07.30-033.29"}, "national_number", "wrong check number"),
    ({"national_number": "1234"}, "national_number", "11 digits"),
    ({"national_number": make_national_number(date(1990, 1, 1), 5)}, "national_number", "does not match"),
    ({"date_of_birth": (date.today() + timedelta(days=3)).isoformat()}, "date_of_birth", "future"),
    ({"date_of_birth": "31/02/1985"}, "date_of_birth", "Not a valid date"),
    ({"given_names": ""}, "given_names", "required"),
    ({"family_name": "   "}, "family_name", "required"),
    ({"family_name": "x" * 10_000}, "family_name", "longer than 100"),
    ({"national_number": "", "document_number": ""}, "national_number", "Give a national register number"),
    ({"email": "not-an-address"}, "email", "Invalid email"),
    ({"function_id": "999999"}, "function_id", "Not a valid choice"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), BAD_INPUT, ids=[b[1] + ":" + b[2] for b in BAD_INPUT])
def test_bad_input_is_answered_at_the_field_and_stores_nothing(as_role, factory, overrides, field, message):
    client, _user = as_role("requester")
    function = factory.function()
    before = (_count(Application), _count(Person), _count(AuditEntry))
    response = _post_new(client, _form(function.id, **overrides))
    assert response.status_code == 422
    # the message sits right after the field that caused it, and nowhere else
    segment = response.text.split(f'id="{field}"', 1)[1].split('<div class="mb-3">', 1)[0]
    assert 'class="invalid-feedback"' in segment
    assert message.lower() in segment.lower()
    assert response.text.count('class="invalid-feedback"') == 1
    assert (_count(Application), _count(Person), _count(AuditEntry)) == before


@pytest.mark.parametrize(
    ("locale", "message"),
    [("nl", "Het controlegetal van dit rijksregisternummer klopt niet."),
     ("fr", "Le nombre de contrôle de ce numéro de registre national est incorrect.")],
)  # fmt: skip
def test_a_bad_number_is_explained_in_the_users_language(as_role, factory, locale, message):
    client, _user = as_role("requester")
    function = factory.function()
    home = client.get("/", follow_redirects=True)
    client.post("/language", data={"locale": locale, "csrf_token": csrf_token(home.text)})
    response = _post_new(client, _form(function.id, national_number="85.07.30-033.29"))
    assert response.status_code == 422
    assert message in response.text


def test_foreign_worker_with_document_number(as_role, factory):
    client, _user = as_role("requester")
    function = factory.function()
    form = _form(
        function.id, nationality="PL", national_number="", document_number="AB1234567", document_type="passport"
    )
    response = _post_new(client, form)
    assert response.status_code == 302
    person = db.session.scalar(select(Person))
    assert person.nationality == "PL" and person.national_number_masked is None
    assert "AB1234567" not in (person.document_number_encrypted or "")


def _act(client, application_id: int, event: str, reason: str | None = None):
    token, version = step_fields(client, f"/applications/{application_id}", event)
    data = {f"{event}-csrf_token": token, f"{event}-version": version}
    if reason is not None:
        data[f"{event}-reason"] = reason
    return client.post(f"/applications/{application_id}/{event}", data=data)


def test_whole_story_requester_and_officer(as_role, factory):
    requester_client, requester = as_role("requester")
    officer_client, _officer = as_role("officer")
    application = factory.application("draft", requester=requester)
    assert _act(requester_client, application.id, "submit").status_code == 302
    # no bare "Record consent": the employer's POST is refused and changes nothing (the person answers)
    assert (
        f'action="/applications/{application.id}/consent"'
        not in requester_client.get(f"/applications/{application.id}").text
    )
    page = requester_client.get(f"/applications/{application.id}").text
    forged = requester_client.post(
        f"/applications/{application.id}/consent",
        data={"consent-csrf_token": csrf_token(page), "consent-version": str(application.version + 1)},
    )
    assert forged.status_code == 403
    fresh()
    assert db.session.get(Application, application.id).state == "awaiting_consent"
    stored = db.session.get(Application, application.id)
    fire(stored, "consent", Actor.person(stored.person_id), settings().deadlines)
    db.session.commit()
    queue = officer_client.get("/queue")
    assert application.reference in queue.text
    assert _act(officer_client, application.id, "start_review").status_code == 302
    assert _act(officer_client, application.id, "request_info", "Which terminals?").status_code == 302
    page = requester_client.get(f"/applications/{application.id}")
    assert "Which terminals?" in page.text
    assert _act(requester_client, application.id, "provide_info", "Terminal 913 only").status_code == 302
    assert _act(officer_client, application.id, "advise_positive").status_code == 302
    fresh()
    stored = db.session.get(Application, application.id)
    assert stored.state == "positive" and stored.clearance_id is not None
    clearance = db.session.get(Clearance, stored.clearance_id)
    assert clearance.state == "valid"
    assert clearance.valid_until == clearance.valid_from.replace(year=clearance.valid_from.year + 5) - timedelta(days=1)
    actions = db.session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "application", AuditEntry.object_id == application.id)
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["create", "submit", "consent", "start_review", "request_info", "provide_info", "advise_positive"]


def test_actions_shown_are_exactly_those_allowed(as_role, factory):
    requester_client, requester = as_role("requester")
    officer_client, _ = as_role("officer")
    application = factory.application("in_review", requester=requester)
    officer_page = officer_client.get(f"/applications/{application.id}").text
    requester_page = requester_client.get(f"/applications/{application.id}").text
    # the advice is one review page (irreversible steps go through review); request_info a form of the page
    for path in ("request_info", "decide/advice"):
        assert f"/applications/{application.id}/{path}" in officer_page
        assert f"/applications/{application.id}/{path}" not in requester_page
    assert f"/applications/{application.id}/withdraw" not in requester_page  # not from in_review


def test_server_refuses_what_the_page_does_not_offer(as_role, factory):
    requester_client, requester = as_role("requester")
    application = factory.application("in_review", requester=requester)
    page = requester_client.get(f"/applications/{application.id}")
    response = requester_client.post(
        f"/applications/{application.id}/advise_positive",
        data={"advise_positive-csrf_token": csrf_token(page.text), "advise_positive-version": str(application.version)},
    )
    assert response.status_code == 403
    assert "You may not do this." in response.text
    fresh()
    assert db.session.get(Application, application.id).state == "in_review"


def test_illegal_transition_gives_a_clear_conflict(as_role, factory):
    officer_client, _ = as_role("officer")
    application = factory.application("submitted")
    page = officer_client.get(f"/applications/{application.id}")
    response = officer_client.post(
        f"/applications/{application.id}/advise_negative",
        data={
            "advise_negative-csrf_token": csrf_token(page.text),
            "advise_negative-version": str(application.version),
            "advise_negative-reason": "x",
        },
    )
    assert response.status_code == 409
    assert "not possible while the application is submitted" in response.text


def test_negative_advice_needs_grounds(as_role, factory):
    officer_client, _ = as_role("officer")
    application = factory.application("in_review")
    response = _act(officer_client, application.id, "advise_negative", "   ")
    assert response.status_code == 422
    assert "Please give the reason" in response.text
    fresh()
    assert db.session.get(Application, application.id).state == "in_review"


def test_negative_advice_sets_the_appeal_deadline(as_role, factory):
    officer_client, _ = as_role("officer")
    application = factory.application("in_review")
    assert _act(officer_client, application.id, "advise_negative", "Facts").status_code == 302
    fresh()
    stored = db.session.get(Application, application.id)
    assert stored.state == "negative"
    assert stored.appeal_deadline is not None and (stored.appeal_deadline - stored.decided_at.date()).days >= 8


def test_withdraw_with_reason(as_role, factory):
    client, requester = as_role("requester")
    application = factory.application("awaiting_consent", requester=requester)
    assert _act(client, application.id, "withdraw", "Candidate left").status_code == 302
    fresh()
    assert db.session.get(Application, application.id).state == "withdrawn"


def test_screened_once_gives_covered(as_role, factory):
    first = factory.application("positive")
    person = db.session.get(Person, first.person_id)
    client, requester = as_role("requester")
    details = factory.person_details(
        given_names=person.given_names,
        family_name=person.family_name,
        date_of_birth=person.date_of_birth,
    )
    from screening.extensions import vault

    details = details.__class__(
        **{**details.__dict__, "national_number": vault().decrypt(person.national_number_encrypted)}
    )
    second = factory.application("draft", requester=requester, person=details)
    assert second.person_id == first.person_id
    clearances_before = _count(Clearance)
    assert _act(client, second.id, "submit").status_code == 302
    fresh()
    stored = db.session.get(Application, second.id)
    assert (stored.state, stored.clearance_id) == ("awaiting_consent", None)  # nothing told before consent
    fire(stored, "consent", Actor.person(stored.person_id), settings().deadlines)
    db.session.commit()
    fresh()
    stored = db.session.get(Application, second.id)
    assert stored.state == "covered"
    assert stored.clearance_id == db.session.get(Application, first.id).clearance_id
    assert _count(Clearance) == clearances_before
    page = client.get(f"/applications/{second.id}").text
    assert "already holds a valid clearance" in page
    assert first.reference not in page  # nothing of the other employer's file


def test_list_filters_searches_and_paginates(make_app):
    from tests.conftest import data_context, sign_in

    app = make_app(app={"page_size": 5})
    with data_context(app):
        factory = Factory(app)
        requester = factory.user("requester")
        function = factory.function()
        for n in range(7):
            factory.application(
                "draft",
                requester=requester,
                function=function,
                person=factory.person_details(family_name=f"Janssens{n}"),
            )
        factory.application(
            "awaiting_consent",
            requester=requester,
            function=function,
            person=factory.person_details(family_name="Zeebrugge"),
        )
        client = sign_in(app.test_client(), requester)
        first = client.get("/applications")
        assert "Page 1 of 2" in first.text and "8 results" in first.text
        assert client.get("/applications?page=2").text.count("/applications/") >= 3
        found = client.get("/applications?q=zeebr").text
        assert "Zeebrugge" in found and "Janssens" not in found
        drafts = client.get("/applications?state=awaiting_consent").text
        assert "1 result" in drafts and "Zeebrugge" in drafts
        reference = db.session.scalar(select(Application.reference).order_by(Application.id))
        assert "1 result" in client.get(f"/applications?q={reference}").text
        assert client.get("/applications?page=-4").status_code == 200
        assert client.get("/applications?state=nonsense").status_code == 200


def test_officer_queue_oldest_first_and_overdue(as_role, factory):
    from datetime import UTC, datetime

    officer_client, _ = as_role("officer")
    old = factory.application("submitted", now=datetime.now(UTC) - timedelta(days=40))
    new = factory.application("submitted")
    factory.application("draft")
    page = officer_client.get("/queue").text
    assert page.index(old.reference) < page.index(new.reference)
    assert page.count('text-bg-danger">overdue<') == 1
    assert "2 results" in page
    overdue = officer_client.get("/queue?overdue=1").text  # where the dashboard's Overdue tile leads
    assert old.reference in overdue and new.reference not in overdue
    assert "1 result" in overdue

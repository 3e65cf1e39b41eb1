"""Each user can turn off the mails that are not legally required, on their account page; the required
ones stay on whatever a form says, and the page says why."""

from __future__ import annotations

from sqlalchemy import select

from screening.audit.models import AuditEntry
from screening.db import db
from screening.notifications.models import MailOptOut
from tests.conftest import csrf_token, fresh, sign_in
from tests.handover.test_handover_mail import _client, _deliver, _fire_on_page, _now
from tests.scheduler.conftest import SMTPServer, World, subject


def _save(client, *receive: str):
    page = client.get("/account")
    response = client.post(
        "/account/mail", data={"csrf_token": csrf_token(page.text), "receive": list(receive)}, follow_redirects=True
    )
    fresh()  # the test's own session starts anew after the request's writes
    return response


def test_the_account_page_lists_the_roles_mails_and_which_are_required(world: World):
    requester = world.requester(email="page@employer.example")
    page = sign_in(world.app.test_client(), requester).get("/account").text
    assert "An officer asks you for information" in page
    assert "required by law: cannot be turned off" in page
    assert 'id="mail-advice_outcome" checked disabled' in page
    assert "The employer answered your request" not in page  # an officer's mail, not theirs


def test_a_turned_off_mail_is_not_sent_and_a_required_one_still_is(world: World, smtp: SMTPServer):
    requester = world.requester(email="quiet@employer.example", locale="en")
    client = _client(world.app, requester)
    # everything ticked except the question of an officer (the required ones come as hidden fields)
    kept = [
        "consent_answered", "appeal_lodged", "employer_reminders", "report_ready", "advice_outcome", "clearance_end",
    ]  # fmt: skip
    response = _save(client, *kept)
    assert "1 kind(s) of mail turned off" in response.text
    assert 'id="mail-info_requested" checked' not in response.text

    officer = world.user("officer", email="asks@authority.example")
    asked = world.application("in_review", now=_now(), requester=requester)
    _fire_on_page(_client(world.app, officer), asked.id, "request_info", reason="Where did they work in 2020?")
    decided = world.application("in_review", now=_now(), requester=requester)
    _fire_on_page(_client(world.app, officer), decided.id, "advise_positive")
    _deliver(world)
    subjects = [subject(m) for m in smtp.to("quiet@employer.example")]
    assert subjects == [f"Security advice for {_person(decided)}: positive ({decided.reference})"]

    # turned back on, the next question arrives
    _save(client, "info_requested", *kept)
    again = world.application("in_review", now=_now(), requester=requester)
    _fire_on_page(_client(world.app, officer), again.id, "request_info", reason="And in 2021?")
    _deliver(world)
    assert f"Information requested for {again.reference}" in [subject(m) for m in smtp.to("quiet@employer.example")]


def _person(application) -> str:
    from screening.people.models import Person

    fresh()
    person = db.session.get(Person, application.person_id)
    return f"{person.given_names} {person.family_name}"


def test_a_required_mail_cannot_be_turned_off_even_by_a_forged_form(world: World):
    requester = world.requester(email="forge@employer.example")
    client = _client(world.app, requester)
    response = _save(client, "info_requested")  # advice_outcome and clearance_end left out
    assert response.status_code == 422
    assert "required by law and cannot be turned off" in response.text
    fresh()
    assert db.session.scalars(select(MailOptOut)).all() == []


def test_unknown_or_another_roles_kind_is_refused_and_changes_nothing(world: World):
    requester = world.requester(email="odd@employer.example")
    client = _client(world.app, requester)
    for bogus in ("info_provided", "x" * 300, "advice_outcome\x00"):
        response = _save(client, "advice_outcome", "clearance_end", bogus)
        assert response.status_code in (400, 422), bogus
    fresh()
    assert db.session.scalars(select(MailOptOut)).all() == []


def test_a_change_is_audited_and_saving_the_same_twice_writes_once(world: World):
    officer = world.user("officer", email="pref@authority.example")
    client = _client(world.app, officer)
    _save(client, "info_provided")
    _save(client, "info_provided")
    fresh()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "mail_preferences")).all()
    assert [(e.object_id, e.reason) for e in entries] == [(officer.id, "off: officer_reminders, report_ready")]
    assert {r.kind for r in db.session.scalars(select(MailOptOut))} == {"officer_reminders", "report_ready"}


def test_mail_to_an_organisations_contact_address_is_not_a_users_and_goes(world: World, smtp: SMTPServer):
    organisation = world.organisation(contact="desk@employer.example")
    requester = world.requester(email="creator@employer.example", organisation=organisation)
    client = _client(world.app, requester)
    _save(client, "advice_outcome", "clearance_end")  # every optional mail off
    officer = world.user("officer", email="adv@authority.example")
    application = world.application("in_review", now=_now(), requester=requester)
    _fire_on_page(_client(world.app, officer), application.id, "request_info", reason="?")
    _deliver(world)
    assert smtp.to("creator@employer.example") == []


def test_the_opt_outs_of_a_whole_batch_are_read_in_one_query(world: World):
    from datetime import UTC, datetime

    from sqlalchemy import event

    from screening.notifications.operations import Mail, Recipient, enqueue

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement != "BEGIN":  # the transaction's start (SQLite's explicit BEGIN), not a query
            statements.append(statement)

    engine = db.session.get_bind()  # the test's own session: enqueue runs in it here

    users = [world.user("officer", email=f"o{n}@authority.example") for n in range(30)]
    db.session.add(MailOptOut(user_id=users[0].id, kind="officer_reminders", created_at=datetime.now(UTC)))
    db.session.commit()
    digest = {"files": [], "count": 0, "today": "2026-03-02", "link": ""}
    optional = [
        Mail("overdue_reviews:x", Recipient(f"o{n}@authority.example", "en", u.id), "overdue_reviews", digest)
        for n, u in enumerate(users)
    ]
    required = [Mail("advice_outcome:y", Recipient(f"e{n}@employer.example", "en", u.id), "advice_outcome",
                     {"outcome": "positive", "person": "P", "function": "F", "valid_until": "", "link": ""})
                for n, u in enumerate(users)]  # fmt: skip
    event.listen(engine, "before_cursor_execute", count)
    try:
        written = enqueue(optional, datetime.now(UTC))
        assert (written, len(statements)) == (29, 2), statements  # one read of the opt-outs, one insert
        statements.clear()
        assert enqueue(required, datetime.now(UTC)) == 30
        assert len(statements) == 1  # a required mail asks nothing
    finally:
        event.remove(engine, "before_cursor_execute", count)

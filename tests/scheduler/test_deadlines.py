"""Each deadline of the brief, with a moved clock and a real SMTP server: before it nothing happens; after
it exactly the right mail and transition happen, once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.clearances.models import Clearance
from screening.clock import day_start
from screening.db import db
from screening.people.models import Person
from tests.conftest import fresh
from tests.scheduler.conftest import T0, World, days, outbox, subject, tick


def _reload(model, id_):
    fresh()
    return db.session.get(model, id_)


def _person(application) -> Person:
    return _reload(Person, application.person_id)


# -- consent ---------------------------------------------------------------------------------------------
def test_consent_reminder_after_seven_days_once_in_the_persons_language(world: World, smtp):
    application = world.application("awaiting_consent")
    person = _person(application)
    tick(world.app, "consent_reminders", T0 + days(6))
    assert smtp.messages == [] and outbox() == []

    tick(world.app, "consent_reminders", T0 + days(7))
    (message,) = smtp.to(person.email)
    assert subject(message) == f"Herinnering: uw toestemming voor een veiligheidsverificatie ({application.reference})"
    body = message.get_content()
    assert f"Beste {person.given_names}" in body
    link = next(line for line in body.splitlines() if "/p/" in line).strip()
    page = world.app.test_client().get(link.split("127.0.0.1:5000", 1)[1])  # the person's own signed link
    assert page.status_code == 200 and "/consent" in page.text
    assert "31 maart 2026" in body  # answer by: 30 days after 2 March, the last day
    assert message["Message-ID"] and message["Content-Language"] == "nl"

    tick(world.app, "consent_reminders", T0 + days(8))
    tick(world.app, "consent_reminders", T0 + days(8))
    assert len(smtp.messages) == 1
    assert [m.state for m in outbox()] == ["sent"]


def test_consent_reminder_goes_to_the_requester_without_a_personal_address(world: World, smtp):
    requester = world.requester(email="rita@ats.example", locale="fr")
    application = world.application("awaiting_consent", requester=requester)
    # the file's own declaration has no address (the person's shared record is not what mail goes by)
    db.session.execute(update(Application).where(Application.id == application.id).values(declared_email=None))
    db.session.commit()
    tick(world.app, "consent_reminders", T0 + days(7))
    (message,) = smtp.to("rita@ats.example")
    assert subject(message) == f"Consentement toujours manquant pour {application.reference}"


def test_consent_expires_after_thirty_days_through_the_workflow(world: World, smtp):
    requester = world.requester(email="rita@ats.example", locale="en")
    application = world.application("awaiting_consent", requester=requester)
    tick(world.app, "consent_reminders", T0 + days(7))
    tick(world.app, "consent_expiry", T0 + days(29))
    assert _reload(Application, application.id).state == "awaiting_consent"
    assert smtp.to("rita@ats.example") == []

    result = tick(world.app, "consent_expiry", T0 + days(30))
    assert result.items == 1
    stored = _reload(Application, application.id)
    assert stored.state == "consent_expired"
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.object_id == application.id, AuditEntry.action == "expire_consent")
    )
    assert (entry.actor, entry.role, entry.from_state, entry.to_state) == (
        "system:consent_expiry", "system", "awaiting_consent", "consent_expired",
    )  # fmt: skip
    (message,) = smtp.to("rita@ats.example")
    assert subject(message) == f"Application {application.reference} ended: no consent"

    tick(world.app, "consent_expiry", T0 + days(31))
    tick(world.app, "consent_reminders", T0 + days(31))
    assert len(smtp.to("rita@ats.example")) == 1
    assert len(smtp.messages) == 2  # the person's reminder, the requester's notice


def test_no_reminder_once_the_consent_period_is_over(world: World, smtp):
    """A missed week of runs: at day 30 the file expires; a reminder now would be pointless."""
    world.application("awaiting_consent")
    tick(world.app, "consent_reminders", T0 + days(30))
    assert smtp.messages == []


# -- information requested -------------------------------------------------------------------------------
def test_info_reminder_once_per_request(world: World, smtp):
    requester = world.requester(email="rita@ats.example", locale="nl")
    application = world.application("info_requested", requester=requester)
    tick(world.app, "info_reminders", T0 + days(6))
    assert smtp.messages == []
    tick(world.app, "info_reminders", T0 + days(7))
    tick(world.app, "info_reminders", T0 + days(8))
    (message,) = smtp.messages
    assert subject(message) == f"Herinnering: informatie gevraagd voor {application.reference}"
    assert f"/applications/{application.id}" in message.get_content()

    # answered, then asked again: a new request gets its own reminder
    world.fire(application, "provide_info", T0 + days(9))
    world.fire(application, "request_info", T0 + days(10))
    tick(world.app, "info_reminders", T0 + days(16))
    assert len(smtp.messages) == 1
    tick(world.app, "info_reminders", T0 + days(17))
    tick(world.app, "info_reminders", T0 + days(18))
    assert len(smtp.messages) == 2


# -- reviews ---------------------------------------------------------------------------------------------
def test_overdue_reviews_are_listed_to_officers_once_a_day(world: World, smtp):
    application = world.application("submitted")
    assert _reload(Application, application.id).due_on == date(2026, 4, 1)
    tick(world.app, "overdue_reviews", datetime(2026, 4, 1, 6, 0, tzinfo=UTC))  # due today: not overdue
    assert smtp.messages == []

    tick(world.app, "overdue_reviews", datetime(2026, 4, 2, 6, 0, tzinfo=UTC))
    tick(world.app, "overdue_reviews", datetime(2026, 4, 2, 15, 0, tzinfo=UTC))
    (message,) = smtp.to("officer@authority.example")
    assert subject(message) == "1 file(s) past their advice date"
    assert application.reference in message.get_content()

    tick(world.app, "overdue_reviews", datetime(2026, 4, 3, 6, 0, tzinfo=UTC))  # still overdue the next day
    assert len(smtp.to("officer@authority.example")) == 2


# -- appeals ---------------------------------------------------------------------------------------------
def _negative_notified_on(world: World, day: date, requester):
    notified = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    return world.application("negative", now=notified, requester=requester)


def test_appeal_window_ending_on_a_saturday_moves_to_monday(world: World, smtp):
    requester = world.requester(email="rita@ats.example")
    application = _negative_notified_on(world, date(2026, 3, 6), requester)  # a Friday; +8 is Saturday 14
    assert _reload(Application, application.id).appeal_deadline == date(2026, 3, 16)
    tick(world.app, "appeal_windows", day_start(date(2026, 3, 16)) + timedelta(hours=23))  # Monday, late
    assert _reload(Application, application.id).state == "negative"
    assert smtp.messages == []

    tick(world.app, "appeal_windows", day_start(date(2026, 3, 17)) + timedelta(minutes=5))
    assert _reload(Application, application.id).state == "final_negative"
    (message,) = smtp.to("rita@ats.example")
    assert subject(message).startswith("Final negative security advice")
    assert "keep" in message.get_content() and "out of every critical function" in message.get_content()
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.object_id == application.id, AuditEntry.action == "close_appeal_window")
    )
    assert entry.actor == "system:appeal_windows"

    tick(world.app, "appeal_windows", day_start(date(2026, 3, 18)))
    assert len(smtp.messages) == 1


def test_appeal_window_ending_on_a_belgian_public_holiday(world: World, smtp):
    requester = world.requester(email="rita@ats.example")
    # notified Monday 13 July 2026; +8 is Tuesday 21 July, the National Day: the last day is Wednesday 22
    application = _negative_notified_on(world, date(2026, 7, 13), requester)
    assert _reload(Application, application.id).appeal_deadline == date(2026, 7, 22)
    tick(world.app, "appeal_windows", day_start(date(2026, 7, 22)) + timedelta(hours=12))
    assert _reload(Application, application.id).state == "negative"
    tick(world.app, "appeal_windows", day_start(date(2026, 7, 23)) + timedelta(hours=1))
    assert _reload(Application, application.id).state == "final_negative"
    assert len(smtp.to("rita@ats.example")) == 1


def test_the_organisation_contact_is_told_too(world: World, smtp):
    organisation = world.organisation(contact="security@ats.example")
    requester = world.requester(email="rita@ats.example", organisation=organisation)
    _negative_notified_on(world, date(2026, 3, 6), requester)
    tick(world.app, "appeal_windows", day_start(date(2026, 3, 17)) + timedelta(hours=1))
    assert len(smtp.to("rita@ats.example")) == 1
    assert len(smtp.to("security@ats.example")) == 1


def test_appeal_ruling_reminder_after_thirty_days(world: World, smtp):
    application = world.application("appealed")
    tick(world.app, "appeal_ruling_reminders", T0 + days(29))
    assert smtp.messages == []
    tick(world.app, "appeal_ruling_reminders", T0 + days(30))
    tick(world.app, "appeal_ruling_reminders", T0 + days(31))
    (message,) = smtp.to("officer@authority.example")
    assert subject(message) == "Appeal ruling to record (1)"
    assert application.reference in message.get_content()


# -- clearances ------------------------------------------------------------------------------------------
def _cleared(world: World):
    """A positive file of one organisation, and a second organisation relying on the same clearance."""
    first = world.organisation(contact="hr@first.example")
    second = world.organisation()
    world.user("hr", second, email="hr@second.example", locale="fr")
    details = world.factory.person_details()
    positive = world.application("positive", requester=world.requester(organisation=first), person=details)
    covered = world.application("draft", requester=world.requester(email="req2@second.example", organisation=second),
                                person=details)  # fmt: skip
    world.fire(covered, "submit", T0 + days(1))
    world.fire(covered, "consent", T0 + days(1))
    assert _reload(Application, covered.id).state == "covered"
    clearance = _reload(Clearance, _reload(Application, positive.id).clearance_id)
    return clearance


def test_clearance_expiry_notices_180_90_30_days_ahead_to_every_relying_organisation(world: World, smtp):
    clearance = _cleared(world)
    end = clearance.valid_until
    assert end == date(2031, 3, 1)
    at = lambda days_before: day_start(end - timedelta(days=days_before)) + timedelta(hours=6)  # noqa: E731

    tick(world.app, "clearance_expiry_notices", at(181))
    assert smtp.messages == []
    for days_before in (180, 179, 90, 89, 30, 29, 0):
        tick(world.app, "clearance_expiry_notices", at(days_before))
    first = smtp.to("hr@first.example")
    second = smtp.to("hr@second.example")
    assert {subject(m) for m in first} == {
        "Clearance of " + _reload(Person, clearance.person_id).full_name + " ends on 1 March 2031"
    }
    assert len(first) == 3 and len(second) == 3  # one per level, per organisation
    assert "(180 days from now)" in first[0].get_content() and "(30 days from now)" in first[2].get_content()
    assert subject(second[0]).startswith("L'avis de sécurité de")
    assert "requester" not in {m.recipient for m in outbox()}


def test_a_missed_window_sends_only_the_closest_notice(world: World, smtp):
    clearance = _cleared(world)
    tick(world.app, "clearance_expiry_notices", day_start(clearance.valid_until - timedelta(days=20)))
    (message,) = smtp.to("hr@first.example")
    assert "(20 days from now)" in message.get_content()


def test_an_extended_clearance_gets_its_notices_again(world: World, smtp):
    clearance = _cleared(world)
    old_end = clearance.valid_until
    tick(world.app, "clearance_expiry_notices", day_start(old_end - timedelta(days=30)))
    assert len(smtp.to("hr@first.example")) == 1
    new_end = old_end + timedelta(days=365)
    db.session.execute(update(Clearance).where(Clearance.id == clearance.id).values(valid_until=new_end))
    db.session.commit()
    tick(world.app, "clearance_expiry_notices", day_start(old_end - timedelta(days=29)))
    assert len(smtp.to("hr@first.example")) == 1
    tick(world.app, "clearance_expiry_notices", day_start(new_end - timedelta(days=180)))
    assert len(smtp.to("hr@first.example")) == 2


def test_clearance_expires_the_day_after_its_last_valid_day(world: World, smtp):
    clearance = _cleared(world)
    tick(world.app, "clearance_expiry", day_start(clearance.valid_until) + timedelta(hours=23))
    assert _reload(Clearance, clearance.id).state == "valid"
    assert smtp.messages == []

    tick(world.app, "clearance_expiry", day_start(clearance.valid_until + timedelta(days=1)) + timedelta(minutes=1))
    stored = _reload(Clearance, clearance.id)
    assert stored.state == "expired"
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.object_type == "clearance", AuditEntry.action == "expire")
    )
    assert entry.actor == "system:clearance_expiry"
    # the first organisation's contact; the second has none: its requester and HR staff
    assert len(smtp.to("hr@first.example")) == 1 and len(smtp.to("hr@second.example")) == 1
    assert len(smtp.to("req2@second.example")) == 1
    assert subject(smtp.to("hr@second.example")[0]).endswith("a expiré")

    tick(world.app, "clearance_expiry", day_start(clearance.valid_until + timedelta(days=2)))
    assert len(smtp.messages) == 3

"""Retention: personal data of closed files is erased after its period; the rows and statistics stay."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.clearances.models import Clearance
from screening.db import db
from screening.people.models import Person
from tests.conftest import fresh
from tests.scheduler.conftest import T0, World, count, days, run


def _application(id_: int) -> Application:
    fresh()
    return db.session.get(Application, id_)


def _person(id_: int) -> Person:
    fresh()
    return db.session.get(Person, id_)


def _erased(application: Application, person: Person) -> None:
    assert application.erased_at is not None
    assert (application.grounds, application.officer_notes, application.info_request, application.info_response,
            application.withdrawal_reason) == (None, None, None, None, None)  # fmt: skip
    assert (person.given_names, person.family_name, person.search_name) == ("erased", "erased", "erased")
    assert person.identity_hash == f"erased:{person.id}"
    assert person.national_number_encrypted is None and person.national_number_masked is None
    assert person.document_number_encrypted is None and person.email is None
    assert person.date_of_birth.month == 1 and person.date_of_birth.day == 1
    assert person.erased_at is not None


def test_a_withdrawn_file_is_erased_after_its_period_and_the_statistics_stay(world: World):
    withdrawn = world.application("withdrawn")
    born = _person(withdrawn.person_id).date_of_birth
    by_state = dict(db.session.execute(select(Application.state, func.count()).group_by(Application.state)).all())
    run(world.app, "retention_purge", T0 + days(364))
    assert _application(withdrawn.id).erased_at is None
    assert _application(withdrawn.id).withdrawal_reason == "text for withdraw"

    assert run(world.app, "retention_purge", T0 + days(366)).items == 1
    application, person = _application(withdrawn.id), _person(withdrawn.person_id)
    _erased(application, person)
    assert person.date_of_birth == date(born.year, 1, 1)
    assert (application.state, application.reference, application.organisation_id) == (
        "withdrawn", withdrawn.reference, withdrawn.organisation_id,
    )  # fmt: skip
    assert (
        dict(db.session.execute(select(Application.state, func.count()).group_by(Application.state)).all()) == by_state
    )
    erasures = db.session.execute(
        select(AuditEntry.object_type, AuditEntry.actor).where(AuditEntry.action == "erase")
    ).all()
    assert sorted(erasures) == [("application", "system:retention_purge"), ("person", "system:retention_purge")]
    assert run(world.app, "retention_purge", T0 + days(400)).items == 0
    assert count(AuditEntry, AuditEntry.action == "erase") == 2


def test_a_person_with_another_open_file_keeps_their_data(world: World):
    details = world.factory.person_details()
    closed = world.application("consent_refused", person=details)
    world.application("submitted", now=T0 + days(200), person=details)
    run(world.app, "retention_purge", T0 + days(366))
    assert _application(closed.id).erased_at is not None
    person = _person(closed.person_id)
    assert person.erased_at is None and person.family_name == details.family_name


def test_final_negative_and_positive_files_follow_their_own_periods(world: World):
    negative = world.application("final_negative")
    positive = world.application("positive")
    clearance_id = _application(positive.id).clearance_id
    valid_until = db.session.get(Clearance, clearance_id).valid_until

    run(world.app, "retention_purge", T0 + days(1824))
    assert _application(negative.id).erased_at is None
    run(world.app, "retention_purge", T0 + days(1826))
    assert _application(negative.id).erased_at is not None
    assert _application(negative.id).advice_type == "negative" and _application(negative.id).grounds is None

    # the clearance ends and expires; its file is erased a year after the end
    after_end = T0 + (valid_until - T0.date()) + timedelta(days=1)
    run(world.app, "clearance_expiry", after_end)
    run(world.app, "retention_purge", after_end + days(364))
    assert _application(positive.id).erased_at is None
    run(world.app, "retention_purge", after_end + days(366))
    _erased(_application(positive.id), _person(positive.person_id))
    fresh()
    assert db.session.get(Clearance, clearance_id).erased_at is not None
    assert db.session.get(Clearance, clearance_id).state == "expired"


def test_periods_come_from_the_configuration(make_app):
    from tests.conftest import data_context

    app = make_app(retention={"closed_days": 30})
    with data_context(app):
        world = World(app)
        withdrawn = world.application("withdrawn")
        run(app, "retention_purge", T0 + days(31))
        assert _application(withdrawn.id).erased_at is not None


def test_the_certificate_check_log_is_pruned_after_its_period(make_app):
    from screening.certificates.models import CertificateCheck
    from tests.conftest import data_context

    app = make_app(retention={"check_log_days": 30})
    with data_context(app):
        for age in (31, 29):
            db.session.add(CertificateCheck(checked_at=T0 - days(age), client_address="192.0.2.7", outcome="unknown"))
        db.session.commit()
        run(app, "retention_purge", T0)
        kept = db.session.scalars(select(CertificateCheck.checked_at)).all()
        assert [T0 - moment for moment in kept] == [days(29)]

"""The clearance's own machine: re-evaluation, confirmation, revocation; extension by a new advice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from screening.actors import Actor
from screening.applications.models import Application
from screening.clearances import operations
from screening.clearances.models import Clearance
from screening.clearances.queries import covering_clearance
from screening.db import db
from screening.errors import Conflict, NotAllowed
from tests.conftest import csrf_token, fresh, step_fields


def _act(client, clearance_id: int, event: str, reason: str = "New facts reported by the police"):
    token, version = step_fields(client, f"/clearances/{clearance_id}", event)
    return client.post(
        f"/clearances/{clearance_id}/{event}",
        data={f"{event}-csrf_token": token, f"{event}-version": version, f"{event}-reason": reason},
    )


def test_reevaluation_then_revocation(as_role, factory):
    officer_client, _ = as_role("officer")
    application = factory.application("positive")
    assert _act(officer_client, application.clearance_id, "start_reevaluation").status_code == 302
    fresh()
    assert db.session.get(Clearance, application.clearance_id).state == "under_reevaluation"
    assert _act(officer_client, application.clearance_id, "revoke", "Negative after re-evaluation").status_code == 302
    fresh()
    clearance = db.session.get(Clearance, application.clearance_id)
    assert clearance.state == "revoked"
    assert clearance.revoked_at is not None
    # a revoked clearance no longer covers the person
    assert covering_clearance(clearance.person_id, datetime.now(UTC).date()) is None


def test_reevaluation_confirmed(as_role, factory):
    officer_client, _ = as_role("officer")
    application = factory.application("positive")
    _act(officer_client, application.clearance_id, "start_reevaluation")
    assert _act(officer_client, application.clearance_id, "confirm", "Facts not established").status_code == 302
    fresh()
    assert db.session.get(Clearance, application.clearance_id).state == "valid"


def test_employers_cannot_act_on_clearances(as_role, factory):
    org = factory.organisation()
    hr_client, _ = as_role("hr", org)
    application = factory.application("positive", requester=factory.user("requester", org))
    page = hr_client.get(f"/clearances/{application.clearance_id}")
    assert page.status_code == 200
    assert "start_reevaluation" not in page.text
    response = hr_client.post(
        f"/clearances/{application.clearance_id}/start_reevaluation",
        data={"start_reevaluation-csrf_token": csrf_token(page.text), "start_reevaluation-version": "1"},
    )
    assert response.status_code == 403


def test_expiry_only_on_the_end_date(factory):
    application = factory.application("positive")
    clearance = db.session.get(Clearance, application.clearance_id)
    system = Actor.system("test")
    end = datetime.combine(clearance.valid_until, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    with pytest.raises(Conflict):
        operations.fire_clearance(clearance, "expire", system, now=end)
    db.session.rollback()
    with pytest.raises(NotAllowed):
        operations.fire_clearance(clearance, "start_reevaluation", Actor(label="r", role="requester"), reason="x")
    operations.fire_clearance(clearance, "expire", system, now=end + timedelta(days=1))
    assert clearance.state == "expired"


def test_second_positive_extends_the_existing_clearance(factory):
    """A person cleared long ago and advised again gets one clearance, extended, not two."""
    from screening.applications.operations import fire
    from screening.extensions import settings

    first = factory.application("positive", now=datetime.now(UTC) - timedelta(days=1000))
    person = db.session.get(Application, first.id)
    clearance = db.session.get(Clearance, first.clearance_id)
    old_until = clearance.valid_until
    # the same person, screened again by another employer while the clearance is under re-evaluation
    operations.fire_clearance(clearance, "start_reevaluation", Actor(label="o", role="officer"), reason="facts")
    db.session.commit()
    second = factory.application("draft", person=_same_person(factory, person.person_id))
    assert second.person_id == first.person_id
    fire(
        second,
        "submit",
        Actor(label="r", role="requester", organisation_id=second.organisation_id),
        settings().deadlines,
    )
    fire(second, "consent", Actor.person(second.person_id), settings().deadlines)
    assert second.state == "covered"  # a clearance under re-evaluation still covers its holder
    assert db.session.get(Clearance, first.clearance_id).valid_until == old_until


def _same_person(factory, person_id: int):
    from screening.extensions import vault
    from screening.people.models import Person

    person = db.session.get(Person, person_id)
    return factory.person_details(
        given_names=person.given_names,
        family_name=person.family_name,
        date_of_birth=person.date_of_birth,
        national_number=vault().decrypt(person.national_number_encrypted),
    )

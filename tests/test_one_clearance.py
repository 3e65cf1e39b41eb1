"""At most one covering clearance per person, by construction (issue 14): the schema refuses a second one,
a lapsed clearance the nightly job has not expired yet does not block a new advice, and an upgrade over a
database that already holds doubles names them instead of changing anything."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.exc import IntegrityError

from screening import migrate
from screening.actors import Actor
from screening.applications import operations
from screening.applications.models import Application
from screening.clearances.models import Clearance
from screening.db import db, make_engine
from screening.extensions import settings
from tests.conftest import fresh


def test_the_schema_refuses_a_second_covering_clearance(app, factory):
    first = factory.application("positive")
    held = db.session.get(Clearance, first.clearance_id)
    other = factory.application("in_review")
    row = {"person_id": held.person_id, "advice_type": "positive", "valid_from": date(2026, 1, 1),
           "valid_until": date(2030, 1, 1), "created_at": datetime.now(UTC), "state_changed_at": datetime.now(UTC),
           "version": 1}  # fmt: skip
    with pytest.raises(IntegrityError):
        db.session.execute(
            Clearance.__table__.insert().values(reference="CLR-X-1", application_id=other.id, state="valid", **row)
        )
    db.session.rollback()
    # Ended clearances are history, as many as there were: only the covering states are unique.
    db.session.execute(
        Clearance.__table__.insert().values(reference="CLR-X-2", application_id=other.id, state="expired", **row)
    )
    db.session.commit()


def test_a_lapsed_clearance_not_yet_expired_gives_way_to_the_new_advice(app, factory):
    first = factory.application("positive")
    old = first.clearance_id
    db.session.execute(
        update(Clearance).where(Clearance.id == old).values(valid_from=date(2021, 2, 1), valid_until=date(2026, 1, 31))
    )
    db.session.commit()  # its last day has passed; the nightly expiry has not run yet
    person = db.session.get(Application, first.id).person_id
    second = factory.application("in_review", person=_same_person(factory, first))
    assert second.person_id == person
    operations.fire(second, "advise_positive", Actor(label="officer-y", role="officer"), settings().deadlines)
    db.session.commit()
    fresh()
    states = dict(db.session.execute(select(Clearance.id, Clearance.state).where(Clearance.person_id == person)).all())
    assert states[old] == "expired" and db.session.get(Application, second.id).clearance_id != old
    assert sorted(states.values()) == ["expired", "valid"]


def _same_person(factory, application):
    from screening.extensions import vault
    from screening.people.models import Person
    from screening.people.operations import PersonDetails

    person = db.session.get(Person, application.person_id)
    return PersonDetails(
        given_names=person.given_names, family_name=person.family_name, date_of_birth=person.date_of_birth,
        nationality=person.nationality, national_number=vault().decrypt(person.national_number_encrypted or ""),
    )  # fmt: skip


@pytest.mark.nodb
def test_the_upgrade_names_people_who_already_hold_two_valid_clearances(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine, "0010")
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    bare = create_engine(url)  # without the application's foreign keys: two bare rows
    with bare.begin() as connection:
        for n in (1, 2):
            connection.execute(
                text(
                    "INSERT INTO clearances (id, reference, person_id, application_id, advice_type, state, version, "
                    "valid_from, valid_until, created_at, state_changed_at) VALUES "
                    f"({n}, 'CLR-{n}', 7, {n}, 'positive', 'valid', 1, '2026-01-01', '2030-01-01', :now, :now)"
                ),
                {"now": now},
            )
    bare.dispose()
    with pytest.raises(RuntimeError, match=r"1 people hold more than one valid clearance: person 7 \(2\)"):
        migrate.upgrade(engine)
    assert migrate.current(engine) == "0010"  # nothing changed
    engine.dispose()

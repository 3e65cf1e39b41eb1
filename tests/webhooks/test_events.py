"""The events besides a file's state: a clearance the employer relies on is expiring or has ended
(expiry by the scheduler, revocation by an officer), and "covered" only after the person's consent."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from scheduler.runner import run_job
from screening.actors import Actor
from screening.applications.models import Application
from screening.clearances import operations as clearances
from screening.clearances.models import Clearance
from screening.db import db
from tests.conftest import fresh
from tests.webhooks.conftest import run, subscribe


def _events(receiver):
    return [(r.payload["type"], r.payload["data"]["state"]) for r in receiver.received]


def test_relying_employers_hear_that_a_clearance_is_expiring_and_then_ended(hook_app, factory, receiver):
    requester = factory.user("requester")
    application = factory.application("positive", requester=requester)
    receiver.secrets.append(
        subscribe(requester, receiver.url(), types=["clearance.expiring", "clearance.ended"]).secret
    )
    clearance = db.session.get(Clearance, db.session.get(Application, application.id).clearance_id)
    reference, valid_until = clearance.reference, clearance.valid_until
    other = factory.user("requester")  # an organisation that does not rely on it
    receiver.secrets.append(subscribe(other, receiver.url("/other"), types=["clearance.expiring"]).secret)
    fresh()
    with time_machine.travel(valid_until - timedelta(days=29), tick=False) as clock:
        from screening.clock import utcnow

        assert run_job(hook_app, "clearance_expiry_notices", holder="test", now=utcnow()).status == "done"
        run(hook_app)
        assert _events(receiver) == [("clearance.expiring", "valid")]
        (expiring,) = receiver.received
        assert expiring.path == "/hooks" and expiring.payload["data"] == {
            "reference": reference, "external_id": None, "state": "valid", "valid_until": valid_until.isoformat(),
            "link": expiring.payload["data"]["link"],
        }  # fmt: skip
        assert expiring.payload["data"]["link"].endswith(f"/clearances/{clearance.id}")
        clock.move_to(valid_until + timedelta(days=1, hours=12))
        assert run_job(hook_app, "clearance_expiry", holder="test", now=utcnow()).status == "done"
        run(hook_app)
    assert _events(receiver) == [("clearance.expiring", "valid"), ("clearance.ended", "expired")]


def test_a_revocation_is_announced_as_ended(hook_app, factory, receiver):
    requester = factory.user("requester")
    application = factory.application("positive", requester=requester)
    receiver.secrets.append(subscribe(requester, receiver.url()).secret)
    clearance = db.session.get(Clearance, db.session.get(Application, application.id).clearance_id)
    officer = Actor(label="officer-x", role="officer")
    clearances.fire_clearance(clearance, "start_reevaluation", officer, reason="new facts")
    clearances.fire_clearance(clearance, "revoke", officer, reason="confirmed facts")
    db.session.commit()
    run(hook_app)
    assert _events(receiver) == [("clearance.ended", "revoked")]
    assert "facts" not in receiver.received[0].payload.__repr__()


RULINGS = [("revocation_appeal_rejected", []), ("revocation_appeal_upheld", [("clearance.reinstated", "valid")])]


@pytest.mark.parametrize(("ruling", "after"), RULINGS)
def test_a_ruling_on_a_revocation_appeal_is_announced_once(hook_app, factory, receiver, ruling, after):
    """A rejected appeal leaves the clearance ended (already announced: nothing more); an upheld one makes it
    cover again, and relying HR systems hear it."""
    from screening.clock import local_date, utcnow
    from screening.decisions.operations import check_letter
    from screening.extensions import settings

    requester = factory.user("requester")
    application = factory.application("positive", requester=requester)
    receiver.secrets.append(subscribe(requester, receiver.url()).secret)
    clearance = db.session.get(Clearance, db.session.get(Application, application.id).clearance_id)
    officer = Actor(label="officer-x", role="officer")
    now, deadlines = utcnow(), settings().deadlines
    clearances.fire_clearance(clearance, "start_reevaluation", officer, reason="new facts", now=now)
    clearances.fire_clearance(clearance, "revoke", officer, reason="confirmed facts", now=now, deadlines=deadlines)
    letter = check_letter(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", required=True)
    clearances.fire_clearance(
        clearance,
        "lodge_revocation_appeal",
        officer,
        deadlines=deadlines,
        lodged_on=local_date(now),
        letter=letter,
        now=now,
    )
    clearances.fire_clearance(clearance, ruling, officer, reason="the ruling", now=now)
    db.session.commit()
    run(hook_app)
    # delivered by concurrent senders: in any order, each once
    assert sorted(_events(receiver)) == sorted([("clearance.ended", "revoked"), *after])


def test_covered_is_announced_only_with_the_persons_consent(hook_app, factory, receiver):
    holder = factory.person_details()
    factory.application("positive", person=holder)  # the person holds a clearance through another employer
    requester = factory.user("requester")
    receiver.secrets.append(subscribe(requester, receiver.url(), types=["application.state_changed"]).secret)
    factory.application("awaiting_consent", requester=requester, person=holder)
    run(hook_app)
    assert _events(receiver) == [("application.state_changed", "awaiting_consent")]
    fresh()
    mine = db.session.scalars(select(Application).where(Application.organisation_id == requester.organisation_id)).one()
    from screening.applications import operations
    from screening.extensions import settings

    operations.fire(mine, "consent", Actor.person(mine.person_id), settings().deadlines)
    db.session.commit()
    run(hook_app)
    assert _events(receiver) == [
        ("application.state_changed", "awaiting_consent"),
        ("application.state_changed", "covered"),
    ]


def test_old_events_are_purged_with_their_deliveries_and_attempts_once_none_waits(hook_app, factory, receiver):
    from datetime import UTC, datetime

    from sqlalchemy import func

    from screening.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent

    def counts() -> tuple[int, int, int]:
        fresh()
        return tuple(
            db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (WebhookEvent, WebhookDelivery, WebhookAttempt)
        )

    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    requester = factory.user("requester")
    receiver.secrets.append(subscribe(requester, receiver.url()).secret)
    with time_machine.travel(start, tick=False) as clock:
        factory.application("submitted", requester=requester, now=start)  # two events, delivered
        run(hook_app)
        receiver.stop()
        factory.application("awaiting_consent", requester=requester, now=start)  # one event, still waiting
        run(hook_app)
        assert counts() == (3, 3, 3)
        later = start + timedelta(days=91)
        clock.move_to(later)
        assert run_job(hook_app, "retention_purge", holder="test", now=later).status == "done"
    assert counts() == (1, 1, 1)  # the delivered ones are gone; the waiting one stays with its attempt


def test_the_employers_external_id_travels_with_its_files_events(hook_app, factory, receiver):
    from sqlalchemy import update

    from screening.applications import operations
    from screening.extensions import settings

    requester = factory.user("requester")
    receiver.secrets.append(subscribe(requester, receiver.url()).secret)
    draft = factory.application("draft", requester=requester)
    db.session.execute(update(Application).where(Application.id == draft.id).values(external_id="HR-4711"))
    db.session.commit()
    fresh()
    operations.fire(db.session.get(Application, draft.id), "submit", Actor.of(requester), settings().deadlines)
    db.session.commit()
    run(hook_app)
    assert [r.payload["data"]["external_id"] for r in receiver.received] == ["HR-4711"]

"""Issue 18 part 4: the recognition body is told of a final negative advice, or a revocation, for a function
the catalogue marks, exactly once (a sender that died mid-send, SMTP down and back), with the national
register number in clear only in the e-mail itself; never for a positive advice or another function."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from screening.actors import Actor
from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.auth.models import User
from screening.catalogue.models import CriticalFunction
from screening.clearances.models import Clearance, RecognitionNotice
from screening.clearances.operations import fire_clearance
from screening.clock import day_start
from screening.db import db
from screening.extensions import settings
from screening.notifications import mailer
from screening.people.identifiers import make_national_number
from tests.conftest import csrf_token, fresh, sign_in
from tests.scheduler.conftest import T0, World, count, mail_settings, outbox, run, subject

BODY = "erkenning@havenarbeid.example"
NRN = make_national_number(date(1979, 5, 17), 123)


@pytest.fixture
def world(make_app, smtp_port) -> World:
    from tests.conftest import data_context

    app = make_app(mail=mail_settings(smtp_port), recognition={"email": BODY, "language": "nl"})
    with data_context(app):
        yield World(app)


def _function(world: World, *, marked: bool) -> CriticalFunction:
    function = world.factory.function(category=1)
    db.session.execute(
        update(CriticalFunction).where(CriticalFunction.id == function.id).values(notify_recognition=marked)
    )
    db.session.commit()
    return function


def _negative(world: World, function: CriticalFunction) -> Application:
    person = world.factory.person_details(date_of_birth=date(1979, 5, 17), national_number=NRN, given_names="Jan",
                                          family_name="Peeters")  # fmt: skip
    return world.application("negative", now=T0, function=function, person=person)


def _close_window(world: World, when_days: int = 14) -> None:
    run(world.app, "appeal_windows", day_start(date(2026, 3, 2) + timedelta(days=when_days)) + timedelta(hours=1))


def _notices(template: str = "recognition_notice"):
    return outbox(template)


def test_a_final_negative_for_a_marked_function_reaches_the_body_once_through_an_outage_and_a_dead_sender(
    world: World, smtp_server
):
    application = _negative(world, _function(world, marked=True))
    when = day_start(date(2026, 3, 16)) + timedelta(hours=1)
    _close_window(world)
    fresh()
    assert db.session.get(Application, application.id).state == "final_negative"
    (message,) = _notices()
    assert message.recipient == BODY and message.language == "nl"
    # the number stays encrypted in storage: the outbox row holds a placeholder and the Fernet token
    assert NRN not in message.body and NRN not in str(message.context)
    assert "[[sealed:national_register_number]]" in message.body

    # SMTP down: delivery fails and waits
    run(world.app, "deliver_mail", when)
    assert _notices()[0].state == "pending" and smtp_server.to(BODY) == []

    # a sender that claimed the message and died before talking to the server (kill -9 after the claim's commit)
    retry_at = when + timedelta(hours=1)
    assert message.id in [m.id for m in mailer.claim_due(retry_at, 10, 120)]
    db.session.commit()
    smtp_server.start()
    run(world.app, "deliver_mail", retry_at)  # claimed by the dead sender: not yet due again
    assert smtp_server.to(BODY) == []
    run(world.app, "deliver_mail", retry_at + timedelta(seconds=121))  # its claim lapsed: sent now
    _close_window(world, 15)  # the job again, the next day: nothing new
    run(world.app, "deliver_mail", retry_at + timedelta(days=2))
    (sent,) = smtp_server.to(BODY)
    text = sent.get_content()
    assert subject(sent).startswith("Definitief negatief veiligheidsadvies")
    assert "Jan Peeters" in text and NRN in text and "17 mei 1979" in text and "16 maart 2026" in text
    assert count(RecognitionNotice) == 1 and _notices()[0].state == "sent"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "notify_recognition"))
    assert entry.object_type == "application" and entry.object_id == application.id and NRN not in str(entry.reason)


def test_the_admin_marks_a_function_and_sees_where_notices_go(world: World, make_app):
    admin = sign_in(world.app.test_client(), world.factory.user("admin"))
    function = _function(world, marked=False)
    page = admin.get(f"/admin/functions/{function.id}").text
    assert f"Notices go to {BODY}." in page and 'name="notify_recognition"' in page
    form = {"csrf_token": csrf_token(page), "code": function.code, "name_en": "Dockworker", "name_nl": "Havenarbeider",
            "name_fr": "Travailleur portuaire", "category": "1", "active": "y", "notify_recognition": "y"}  # fmt: skip
    assert admin.post(f"/admin/functions/{function.id}", data=form).status_code == 302
    fresh()
    assert db.session.get(CriticalFunction, function.id).notify_recognition is True
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "update_function").order_by(AuditEntry.id.desc())
    )
    assert "notify_recognition: False -> True" in entry.reason


def test_nothing_for_another_function_or_a_positive_advice(world: World, smtp):
    _negative(world, _function(world, marked=False))
    marked = _function(world, marked=True)
    world.application("positive", now=T0, function=marked)
    world.application("final_negative", now=T0, function=_function(world, marked=False))
    _close_window(world)
    run(world.app, "deliver_mail", day_start(date(2026, 3, 17)))
    assert _notices() == [] and count(RecognitionNotice) == 0 and smtp.to(BODY) == []


def test_a_rejected_appeal_and_a_revocation_are_told_and_shown_on_the_file(world: World, smtp):
    marked = _function(world, marked=True)
    rejected = world.application("final_negative", now=T0, function=marked)
    cleared = world.application("positive", now=T0, function=marked)
    fresh()
    clearance = db.session.get(Clearance, cleared.clearance_id)
    fire_clearance(clearance, "start_reevaluation", Actor(label="officer-x", role="officer"), reason="new facts",
                   deadlines=settings().deadlines, now=T0 + timedelta(days=1))  # fmt: skip
    fire_clearance(clearance, "revoke", Actor(label="officer-x", role="officer"), reason="grounds",
                   deadlines=settings().deadlines, now=T0 + timedelta(days=2))  # fmt: skip
    db.session.commit()
    kinds = sorted(m.context["kind"] for m in _notices())
    assert kinds == ["final_negative", "revoked"]
    run(world.app, "deliver_mail", T0 + timedelta(days=2))
    assert len(smtp.to(BODY)) == 2

    officer = sign_in(world.app.test_client(), world.officer)
    page = officer.get(f"/applications/{rejected.id}").text
    assert "Recognition body told" in page and BODY in page
    assert "Recognition body told" in officer.get(f"/clearances/{clearance.id}").text  # the revocation's
    requester = sign_in(world.app.test_client(), db.session.get(User, rejected.created_by_id))
    assert "Recognition body told" not in requester.get(f"/applications/{rejected.id}").text

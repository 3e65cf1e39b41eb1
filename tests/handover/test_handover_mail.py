"""Every hand-over of a file is told by mail, in the recipient's language, through the outbox and a real
SMTP server: the question to the requester, the answer to the officer who asked, the person's consent or
refusal to the requester, the appeal to the employer (never any grounds) and to the person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from screening.actors import Actor
from screening.applications import operations
from screening.applications.models import Application
from screening.applications.paper import record_paper_consent
from screening.db import db
from screening.extensions import settings
from tests.conftest import csrf_token, fresh, sign_in
from tests.scheduler.conftest import SMTPServer, World, run, subject


def _now() -> datetime:
    return datetime.now(UTC)


def _client(app: Flask, user: Any) -> FlaskClient:
    return sign_in(app.test_client(), user)


def _fire_on_page(client: FlaskClient, application_id: int, event: str, **fields: str) -> Any:
    path = f"/applications/{application_id}"
    page = client.get(path)
    fresh()
    version = db.session.get(Application, application_id).version
    data = {f"{event}-csrf_token": csrf_token(page.text), f"{event}-version": str(version)}
    data |= {f"{event}-{name}": value for name, value in fields.items()}
    response = client.post(f"{path}/{event}", data=data)
    fresh()
    return response


def _state(application_id: int) -> str:
    fresh()
    return db.session.get(Application, application_id).state


def _deliver(world: World) -> None:
    run(world.app, "deliver_mail", _now())


def test_the_question_reaches_the_requester_and_the_answer_the_officer_who_asked(world: World, smtp: SMTPServer):
    requester = world.requester(email="hr@employer.example", locale="nl")
    officer = world.user("officer", email="asking@authority.example", locale="fr")
    world.user("officer", email="other@authority.example", locale="en")
    application = world.application("in_review", now=_now(), requester=requester)

    answer = _fire_on_page(_client(world.app, officer), application.id, "request_info", reason="Kopie van het diploma?")
    assert answer.status_code == 302
    _deliver(world)
    (question,) = smtp.to("hr@employer.example")
    assert subject(question) == f"Informatie gevraagd voor {application.reference}"
    assert "Kopie van het diploma?" in question.get_content()

    reply = _fire_on_page(_client(world.app, requester), application.id, "provide_info", reason="Bijgevoegd.")
    assert reply.status_code == 302
    _deliver(world)
    (told,) = smtp.to("asking@authority.example")
    assert subject(told) == f"Informations fournies pour {application.reference}"
    assert smtp.to("other@authority.example") == []  # the officer who asked, not everybody
    assert "Bijgevoegd." not in told.get_content()  # the answer is read on the file, signed in


def test_the_requester_hears_the_persons_consent_or_refusal(world: World, smtp: SMTPServer):
    requester = world.requester(email="req@employer.example", locale="en")
    consents = world.application("awaiting_consent", now=_now(), requester=requester)
    refuses = world.application("awaiting_consent", now=_now(), requester=requester)
    for application, event in ((consents, "consent"), (refuses, "refuse")):
        fresh()
        current = db.session.get(Application, application.id)
        person = Actor.person(current.person_id)
        operations.fire(current, event, person, settings().deadlines, now=_now())
        db.session.commit()
    _deliver(world)
    subjects = sorted(subject(m) for m in smtp.to("req@employer.example"))
    assert [s.split(":")[0] for s in subjects] == ["Consent given", "Consent refused"]


def test_consent_the_requester_recorded_from_paper_is_not_mailed_back_to_them(world: World, smtp: SMTPServer):
    requester = world.requester(email="paper@employer.example")
    application = world.application("awaiting_consent", now=_now(), requester=requester)
    fresh()
    current = db.session.get(Application, application.id)
    from screening.applications.paper import PAPER_FORM_VERSION
    from screening.person_link.tokens import form_code

    secret = world.app.config["SECRET_KEY"]
    record_paper_consent(
        current, Actor.of(requester), b"%PDF-1.4 signed", settings().deadlines, expected_version=current.version,
        form_code=form_code(secret, current.id, current.state_changed_at, PAPER_FORM_VERSION), secret_key=secret,
    )  # fmt: skip
    db.session.commit()
    _deliver(world)
    assert _state(application.id) == "submitted"
    assert smtp.to("paper@employer.example") == []


def test_an_appeal_is_told_to_the_employer_without_grounds_and_to_the_person(world: World, smtp: SMTPServer):
    requester = world.requester(email="boss@employer.example", locale="fr")
    person = world.factory.person_details(email="worker@mail.example", locale="nl")
    application = world.application("negative", now=_now(), requester=requester, person=person)
    officer = world.user("officer", email="o@authority.example")
    _fire_on_page(_client(world.app, officer), application.id, "lodge_appeal")
    _deliver(world)
    (employer,) = smtp.to("boss@employer.example")
    assert subject(employer).startswith("Recours introduit")
    assert "text for advise_negative" not in employer.get_content()  # the factory's grounds
    (worker,) = smtp.to("worker@mail.example")
    assert subject(worker) == f"Uw beroep is geregistreerd ({application.reference})"
    assert "/my/" in worker.get_content()  # the person's own file link


def test_a_positive_advice_with_warning_reaches_the_employer_as_positive(world: World, smtp: SMTPServer):
    requester = world.requester(email="emp@employer.example")
    application = world.application("in_review", now=_now(), requester=requester)
    officer = world.user("officer", email="o2@authority.example")
    response = _fire_on_page(
        _client(world.app, officer), application.id, "advise_positive_with_warning", reason="Secret grounds"
    )
    assert response.status_code == 302
    _deliver(world)
    (told,) = smtp.to("emp@employer.example")
    text = (subject(told) + told.get_content()).lower()
    assert "positive" in text
    assert "warning" not in text
    assert "secret grounds" not in text


def test_the_negative_advice_notice_names_the_appeal_body_and_links_the_pdf(world: World, smtp: SMTPServer):
    person = world.factory.person_details(email="neg@mail.example", locale="nl")
    application = world.application("in_review", now=_now(), person=person)
    officer = world.user("officer", email="o3@authority.example")
    _fire_on_page(
        _client(world.app, officer), application.id, "advise_negative", reason="Authority only", disclosed="Mag weten."
    )
    _deliver(world)
    (notice,) = smtp.to("neg@mail.example")
    body = notice.get_content()
    assert "Beroepsorgaan inzake veiligheidsmachtigingen, -attesten en -adviezen" in body
    assert "Leuvenseweg 48 bus 5" in body
    link = next(word for word in body.split() if word.endswith("/notice.pdf"))
    path = "/my/" + link.split("/my/", 1)[1]
    pdf = world.app.test_client().get(path)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_an_appeal_against_a_missing_advice_is_told_as_such(world: World, smtp: SMTPServer):
    requester = world.requester(email="late@employer.example")
    person = world.factory.person_details(email="late-worker@mail.example", locale="en")
    # submitted 32 days ago: the 30 days of the legal term have passed without an advice
    application = world.application("in_review", now=_now() - timedelta(days=32), requester=requester, person=person)
    fresh()
    current = db.session.get(Application, application.id)
    operations.fire(
        current, "lodge_appeal_missed_term", Actor(label="officer-x", role="officer"), settings().deadlines,
        now=_now(),
    )  # fmt: skip
    db.session.commit()
    _deliver(world)
    (employer,) = smtp.to("late@employer.example")
    assert "no security advice was given within the legal term" in employer.get_content()
    (worker,) = smtp.to("late-worker@mail.example")
    assert "against the missing security advice" in worker.get_content()


def test_the_answer_goes_to_the_officer_the_file_is_assigned_to(world: World, smtp: SMTPServer):
    from sqlalchemy import update

    requester = world.requester(email="a@employer.example")
    asker = world.user("officer", email="asker2@authority.example")
    claimer = world.user("officer", email="claimer@authority.example")
    application = world.application("in_review", now=_now(), requester=requester)
    _fire_on_page(_client(world.app, asker), application.id, "request_info", reason="Which port?")
    db.session.execute(update(Application).where(Application.id == application.id).values(assigned_to_id=claimer.id))
    db.session.commit()
    _fire_on_page(_client(world.app, requester), application.id, "provide_info", reason="Antwerp.")
    _deliver(world)
    assert [subject(m) for m in smtp.to("claimer@authority.example")] == [
        f"Information provided for {application.reference}"
    ]
    assert smtp.to("asker2@authority.example") == []

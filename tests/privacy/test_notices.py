"""What the person and the employer are told: the consent request on submit, the advice notice with the
grounds that may be disclosed and the appeal deadline, and outcome-only messages for the employer."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from screening.applications.models import Application
from screening.auth.models import User
from screening.clock import today
from screening.db import db
from screening.notifications.models import OutboxMessage
from screening.notifications.operations import mail_date
from tests.conftest import csrf_token, fresh
from tests.privacy.conftest import act, new_application
from workflows.deadlines import appeal_deadline

GROUNDS = "Member of a criminal organisation according to police file 2025/118"
DISCLOSED = "You were convicted in 2024 of handling stolen goods"


def _outbox(template: str | None = None) -> list[OutboxMessage]:
    fresh()
    statement = select(OutboxMessage).order_by(OutboxMessage.id)
    if template:
        statement = statement.where(OutboxMessage.template == template)
    return list(db.session.scalars(statement))


def _with_email(user, address: str, locale: str = "en") -> None:
    db.session.execute(update(User).where(User.id == user.id).values(email=address, locale=locale))
    db.session.commit()


def test_submit_mails_the_person_their_link_in_their_language(as_role, factory, app):
    client, _requester = as_role("requester")
    application_id = new_application(client, factory.function().id, email="zoe@example.org", locale="fr")
    assert _outbox() == []  # a draft asks nobody
    assert act(client, application_id, "submit").status_code == 302
    (mail,) = _outbox("consent_request")
    assert (mail.recipient, mail.language) == ("zoe@example.org", "fr")
    assert mail.subject.startswith("Votre consentement est demandé")
    assert "Organe de recours" in mail.body
    link = re.search(r"https?://\S+/p/(\S+)", mail.body)
    assert link, mail.body
    person = app.test_client()
    page = person.get(f"/p/{link.group(1)}")
    assert page.status_code == 200
    response = person.post(f"/p/{link.group(1)}/consent", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    fresh()
    assert db.session.get(Application, application_id).state == "submitted"


def test_without_an_address_the_requester_prints_the_letter(as_role, factory):
    client, _requester = as_role("requester")
    application_id = new_application(client, factory.function().id, email="")
    assert act(client, application_id, "submit").status_code == 302
    assert _outbox() == []
    assert client.get(f"/applications/{application_id}/letter").status_code == 200


def test_negative_advice_notice_tells_the_person_disclosable_grounds_and_the_deadline(as_role, factory):
    requester_client, requester = as_role("requester")
    _with_email(requester, "hr-manager@employer.example")
    officer_client, _ = as_role("officer")
    application = factory.application("in_review", requester=requester)
    response = act(officer_client, application.id, "advise_negative", reason=GROUNDS, disclosed=DISCLOSED)
    assert response.status_code == 302
    fresh()
    stored = db.session.get(Application, application.id)
    assert stored.appeal_deadline == appeal_deadline(today(), 8)
    (notice,) = _outbox("advice_notice")
    assert notice.subject.startswith("Negatief veiligheidsadvies")  # the person's language (nl by default)
    assert DISCLOSED in notice.body
    assert GROUNDS not in notice.body
    assert mail_date(stored.appeal_deadline, "nl") in notice.body
    assert "Beroepsorgaan" in notice.body
    (outcome,) = _outbox("advice_outcome")
    assert outcome.recipient == "hr-manager@employer.example"
    assert "negative" in outcome.subject
    assert GROUNDS not in outcome.body and DISCLOSED not in outcome.body
    # the officer sees both texts on the file
    page = officer_client.get(f"/applications/{application.id}")
    assert GROUNDS in page.text and DISCLOSED in page.text


def test_without_disclosable_grounds_the_notice_says_so(factory, app):
    factory.application("negative", mail=True)
    (notice,) = _outbox("advice_notice")
    assert "De wet laat de overheid niet toe u de redenen van dit advies mee te delen." in notice.body
    assert "text for advise_negative" not in notice.body  # the grounds the factory recorded


def test_positive_advice_tells_both_the_validity(factory):
    requester = factory.user("requester")
    _with_email(requester, "boss@employer.example", "fr")
    application = factory.application("positive", requester=requester, mail=True)
    fresh()
    clearance_until = db.session.get(Application, application.id).clearance_id
    assert clearance_until is not None
    (notice,) = _outbox("advice_notice")
    (outcome,) = _outbox("advice_outcome")
    assert notice.subject.startswith("Positief veiligheidsadvies")
    assert outcome.language == "fr" and "positif" in outcome.subject
    assert "valable jusqu'au" in outcome.body


def test_the_persons_page_shows_the_disclosable_grounds_only(as_role, factory, app):
    officer_client, _ = as_role("officer")
    application = factory.application("in_review")
    assert (
        act(officer_client, application.id, "advise_negative", reason=GROUNDS, disclosed=DISCLOSED).status_code == 302
    )
    (notice,) = _outbox("advice_notice")
    link = re.search(r"https?://\S+(/my/[A-Za-z0-9_.\-]+)\s", notice.body).group(1)  # the person's own file link
    page = app.test_client().get(link)
    assert page.status_code == 200
    assert DISCLOSED in page.text and GROUNDS not in page.text
    assert "You may appeal to the appeal body until" in page.text

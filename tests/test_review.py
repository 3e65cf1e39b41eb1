"""Irreversible steps go through review: one advice form with a message at each missing answer, a check page
that shows what the person and the employer will each receive and changes nothing, then the confirmation."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.clearances.models import Clearance
from screening.clearances.operations import fire_clearance
from screening.db import db
from screening.decisions.models import Decision
from screening.notifications.models import OutboxMessage
from tests.conftest import csrf_token, fresh
from workflows.application import ADVICE_EVENTS, APPLICATION
from workflows.clearance import CLEARANCE
from workflows.roles import ACCOUNT_ROLES

GROUNDS = "Convicted in 2019 for smuggling through the port."
DISCLOSED = "A conviction relevant to port security."
PDF = b"%PDF-1.4\n% appeal letter\n"


def _outbox() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def _review(client, application, event="advice", **answers):
    """The review page's form, then its Continue: returns the check page (or the form again)."""
    page = client.get(f"/applications/{application.id}/decide/{event}")
    assert page.status_code == 200, page.text[:300]
    data = {f"{event}-csrf_token": csrf_token(page.text), f"{event}-version": str(application.version), "step": "check"}
    data.update({f"{event}-{name}": value for name, value in answers.items()})
    return client.post(f"/applications/{application.id}/decide/{event}", data=data, content_type="multipart/form-data")


def _confirm(client, check_page):
    form = re.search(r'<form method="post" action="([^"]+)" class="mb-4">(.*?)</form>', check_page, re.S)
    assert form, check_page.split("<main", 1)[-1][:1500]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(2)))
    fields = {name: value.replace("&#39;", "'").replace("&amp;", "&").replace("&#34;", '"') for name, value in
              fields.items()}  # fmt: skip
    return client.post(form.group(1), data=fields)


def test_the_advice_form_puts_a_message_at_each_missing_answer(as_role, factory):
    client, _officer = as_role("officer")
    application = factory.application("in_review")
    page = _review(client, application)
    assert page.status_code == 422
    assert 'id="outcome-error"' in page.text and "Choose the outcome of the advice." in page.text
    assert "alert-danger" not in page.text  # messages at the fields, no banner
    page = _review(client, application, outcome="advise_negative", disclosed=DISCLOSED)
    assert page.status_code == 422
    assert 'id="reason-error"' in page.text and "Write the grounds (authority only)." in page.text
    assert DISCLOSED in page.text  # what was typed stays
    fresh()
    assert db.session.get(Application, application.id).state == "in_review"


def test_the_check_page_previews_both_messages_and_records_nothing_until_confirmed(as_role, factory):
    from sqlalchemy import update

    from screening.auth.models import User

    client, _officer = as_role("officer")
    _requester_client, requester = as_role("requester")
    db.session.execute(update(User).where(User.id == requester.id).values(email="hr@employer.example"))
    db.session.commit()
    application = factory.application("in_review", requester=requester)
    before = _outbox()
    page = _review(client, application, outcome="advise_negative", reason=GROUNDS, disclosed=DISCLOSED)
    assert page.status_code == 200, page.text[:500]
    assert "Check your answers before you confirm" in page.text
    person = page.text.split('id="preview-person"', 1)[1].split("</section>", 1)[0]
    employer = page.text.split('id="preview-employer"', 1)[1].split("</section>", 1)[0]
    assert DISCLOSED in person and GROUNDS not in person and "/p/" not in person
    assert "negative" in employer.lower() and GROUNDS not in employer and DISCLOSED not in employer
    fresh()
    assert db.session.get(Application, application.id).state == "in_review"
    assert _outbox() == before
    assert db.session.scalar(select(func.count()).where(Decision.application_id == application.id)) == 0

    done = _confirm(client, page.text)
    assert done.status_code == 302, done.text[:500]
    fresh()
    stored = db.session.get(Application, application.id)
    assert (stored.state, stored.grounds, stored.disclosed_grounds) == ("negative", GROUNDS, DISCLOSED)
    assert _outbox() > before


def test_an_appeal_needs_its_date_and_letter_and_the_file_keeps_every_decision(as_role, factory):
    client, _officer = as_role("officer")
    application = factory.application("negative")
    page = _review(client, application, "lodge_appeal", lodged_on="")
    assert page.status_code == 422
    assert 'id="lodged_on-error"' in page.text and 'id="letter-error"' in page.text
    lodged = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    fake = (io.BytesIO(b"MZ not a letter"), "letter.pdf")
    page = _review(client, application, "lodge_appeal", lodged_on=lodged, letter=fake)
    assert page.status_code == 422 and "PDF, JPEG or PNG" in page.text
    page = _review(client, application, "lodge_appeal", lodged_on=lodged, letter=(io.BytesIO(PDF), "letter.pdf"))
    assert page.status_code == 200 and "letter.pdf" in page.text
    assert _confirm(client, page.text).status_code == 302
    fresh()
    application = db.session.get(Application, application.id)
    page = _review(client, application, "appeal_upheld", reason="Not established.")
    assert _confirm(client, page.text).status_code == 302

    detail = client.get(f"/applications/{application.id}").text
    history = detail.split('id="decisions"', 1)[1].split("</ol>", 1)[0]
    assert history.count('class="decision ') == 3
    assert "text for advise_negative" in history and "Not established." in history  # the original grounds
    letter_link = re.search(r'href="(/decisions/\d+/letter)"', history).group(1)
    letter = client.get(letter_link)
    assert (letter.status_code, letter.data, letter.headers["Cache-Control"]) == (200, PDF, "no-store")
    fresh()
    reads = db.session.scalar(
        select(func.count()).where(AuditEntry.object_id == application.id, AuditEntry.action == "read_appeal_letter")
    )
    assert reads == 1


def test_employers_never_see_the_decisions_nor_the_letter(as_role, factory):
    requester_client, requester = as_role("requester")
    application = factory.application("appealed", requester=requester)
    page = requester_client.get(f"/applications/{application.id}").text
    assert 'id="decisions"' not in page and "text for advise_negative" not in page
    decision_id = db.session.scalar(select(func.max(Decision.id)).where(Decision.application_id == application.id))
    assert requester_client.get(f"/decisions/{decision_id}/letter").status_code == 403
    assert requester_client.get(f"/applications/{application.id}/decide/appeal_upheld").status_code == 403


#: Every irreversible event an account fires, from a state it can be fired from, with the machine.
IRREVERSIBLE = [
    (machine, t.event, t.sources[0])
    for machine in (APPLICATION, CLEARANCE)
    for t in machine.transitions
    if t.event in machine.irreversible and set(t.roles) & set(ACCOUNT_ROLES)
]


CLEARANCE_PATHS = {
    "valid": [],
    "under_reevaluation": ["start_reevaluation"],
    "revoked": ["start_reevaluation", "revoke"],
    "revocation_appealed": ["start_reevaluation", "revoke", "lodge_revocation_appeal"],
}


def _clearance_in(factory, state):
    now = datetime.now(UTC)
    application = factory.application("positive")
    clearance = db.session.get(Clearance, application.clearance_id)
    for event in CLEARANCE_PATHS[state]:
        fire_clearance(clearance, event, factory_officer(), reason="r", now=now, deadlines=_deadlines())
    db.session.commit()
    return clearance


def factory_officer():
    from screening.actors import Actor

    return Actor(label="officer-x", role="officer")


def _deadlines():
    from screening.extensions import settings

    return settings().deadlines


@pytest.mark.parametrize(
    ("machine", "event", "source"), IRREVERSIBLE, ids=[f"{m.name}.{e}" for m, e, _s in IRREVERSIBLE]
)
def test_every_irreversible_event_goes_through_review(as_role, factory, machine, event, source):
    """The file's page offers no button that takes the step, only the review; the review's Continue shows the
    check page and changes nothing; only the confirmation takes it."""
    role = sorted(set(machine.transition_roles(event)) & set(ACCOUNT_ROLES))[0]
    client, user = as_role(role)
    late = event == "lodge_appeal_missed_term" or source == "appealed_no_advice"
    if machine is APPLICATION:
        subject = factory.application(
            source, requester=user if role == "requester" else None,
            now=datetime.now(UTC) - timedelta(days=40) if late else None,
        )  # fmt: skip
        detail, base = f"/applications/{subject.id}", f"/applications/{subject.id}"
    else:
        subject = _clearance_in(factory, source)
        detail, base = f"/clearances/{subject.id}", f"/clearances/{subject.id}"
    page = client.get(detail).text
    assert f'action="{base}/{event}"' not in page
    page_event = "advice" if event in ADVICE_EVENTS else event
    assert f'href="{base}/decide/{page_event}"' in page
    review = client.get(f"{base}/decide/{page_event}")
    assert review.status_code == 200
    data = {f"{page_event}-csrf_token": csrf_token(review.text), f"{page_event}-version": str(subject.version),
            f"{page_event}-reason": "because", f"{page_event}-outcome": event, "step": "check",
            f"{page_event}-lodged_on": datetime.now(UTC).date().isoformat()}  # fmt: skip
    appeal = machine.event(event).decision == "appeal"
    files = {f"{page_event}-letter": (io.BytesIO(PDF), "letter.pdf")} if appeal else {}
    check = client.post(f"{base}/decide/{page_event}", data=data | files, content_type="multipart/form-data")
    assert check.status_code == 200, check.text[:400]
    assert "Check your answers before you confirm" in check.text
    fresh()
    model = Application if machine is APPLICATION else Clearance
    assert db.session.get(model, subject.id).state == source
    assert _confirm(client, check.text).status_code == 302
    fresh()
    target = next(t.target for t in machine.transitions if t.event == event and source in t.sources)
    assert db.session.get(model, subject.id).state == target

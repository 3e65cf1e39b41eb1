"""An employer learns the outcome, never the grounds: every page an employer can open, and every message
sent to an employer, for a negative file followed to its final negative advice."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select, update

from scheduler.runner import run_job
from screening.applications.models import Application
from screening.auth.access import endpoint_policies
from screening.auth.models import User
from screening.clock import utcnow
from screening.db import db
from screening.notifications.models import OutboxMessage
from tests.conftest import fresh
from tests.privacy.conftest import act

GROUNDS = "Member of a criminal organisation according to police file 2025/118"
DISCLOSED = "You were convicted in 2024 of handling stolen goods"
NOTES = "Officer note: ask the port police again"
EMPLOYER_ROLES = {"requester", "hr"}


def _employer_get_pages(app: Flask) -> list[tuple[str, str]]:
    """(endpoint, rule) of every GET page an employer role may open."""
    policies = endpoint_policies(app)
    pages = []
    for rule in app.url_map.iter_rules():
        policy = policies.get(rule.endpoint, "")
        if "GET" not in (rule.methods or ()) or rule.endpoint.endswith("static"):
            continue
        if policy == "public" or EMPLOYER_ROLES & set(policy.split(",")):
            pages.append((rule.endpoint, rule.rule))
    return pages


def test_no_employer_page_or_mail_contains_grounds(app, factory, as_role):
    org = factory.organisation()
    requester_client, requester = as_role("requester", org)
    hr_client, hr = as_role("hr", org)
    for user, address in ((requester, "requester@employer.example"), (hr, "hr@employer.example")):
        db.session.execute(update(User).where(User.id == user.id).values(email=address))
    db.session.commit()
    officer_client, _ = as_role("officer")
    positive = factory.application("positive", requester=requester)  # so clearance pages have something
    application = factory.application("in_review", requester=requester)
    assert (
        act(officer_client, application.id, "advise_negative", reason=GROUNDS, disclosed=DISCLOSED).status_code == 302
    )
    fresh()
    stored = db.session.get(Application, application.id)
    stored.officer_notes = NOTES
    db.session.commit()

    values = {"application_id": application.id, "clearance_id": positive.clearance_id}
    seen: list[str] = []

    def check_pages(state: str) -> None:
        for endpoint, rule in _employer_get_pages(app):
            arguments = {name: values.get(name) for name in _arguments(rule)}
            if None in arguments.values():
                continue  # a page about something this story has none of (a report, a certificate ...)
            path = rule
            for name, value in arguments.items():
                path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
            for client in (requester_client, hr_client):
                response = client.get(path)
                assert response.status_code < 500, (path, response.status_code)
                body = response.get_data(as_text=True) if response.mimetype.startswith("text") else ""
                for secret in (GROUNDS, DISCLOSED, NOTES):
                    assert secret not in body, (state, path)
                if response.status_code == 200:
                    seen.append(endpoint)

    check_pages("negative")
    detail = requester_client.get(f"/applications/{application.id}").text
    assert "Negative advice" in detail  # the outcome is there
    # the appeal window closes: the advice is final, and the employer is told to act on it
    later = utcnow() + timedelta(days=20)
    for job in ("appeal_windows", "monthly_reports"):
        assert run_job(app, job, holder="test", now=later).status == "done"
    fresh()
    assert db.session.get(Application, application.id).state == "final_negative"
    check_pages("final_negative")
    assert {"applications.detail", "applications.index", "core.home"} <= set(seen)

    fresh()
    employer_mail = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.template != "advice_notice")))
    templates = {message.template for message in employer_mail}
    assert {"advice_outcome", "appeal_closed"} <= templates
    for message in employer_mail:
        assert message.recipient != "" and "mail.example" not in message.recipient  # no person's address
        for secret in (GROUNDS, DISCLOSED, NOTES):
            assert secret not in message.subject and secret not in message.body, message.template
            assert secret not in str(message.context), message.template
    # the person alone was told the disclosable grounds, and never the authority's own
    (notice,) = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.template == "advice_notice", OutboxMessage.context["outcome"].as_string() == "negative"
        )
    )
    assert DISCLOSED in notice.body and GROUNDS not in notice.body


def _arguments(rule: str) -> list[str]:
    import re

    return [match.split(":")[-1] for match in re.findall(r"<([^>]+)>", rule)]

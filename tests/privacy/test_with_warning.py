"""Issue 12 item 8: an employer never learns that a positive advice came "with warning" (not from a page, a
timeline label, a report, a CSV, a PDF or a mail, in any language), and every read of grounds is on the
trail, whoever reads them: officers and auditors."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from scheduler.runner import run_job
from screening.audit.models import AuditEntry
from screening.auth.access import endpoint_policies
from screening.auth.models import User
from screening.certificates.signing import generate_keypair
from screening.clock import utcnow
from screening.db import db
from screening.notifications.models import OutboxMessage
from screening.reports.models import Report
from tests.certificates.conftest import require_tool
from tests.conftest import csrf_token, data_context, fresh, sign_in
from tests.privacy.conftest import act

GROUNDS = "Minor facts of 2019; follow-up in two years"
#: "with warning" in every language of the interface, and the advice type's own name.
WARNING_WORDS = ("warning", "waarschuwing", "avertissement", "with_warning")
POSITIVE = {"en": "Positive advice", "nl": "Positief advies", "fr": "Avis positif"}
EMPLOYER_ROLES = {"requester", "hr"}


@pytest.fixture
def app(make_app):
    application = make_app(certificates={"private_key": generate_keypair().private_pem.decode()})
    with data_context(application):
        yield application


def _visible_text(response: Any, tmp_path: Path) -> str:
    """What a person reads in a response: the text of a page (no tags, so no CSS class), a CSV, a PDF."""
    if response.mimetype == "application/pdf":
        pdf = tmp_path / "out.pdf"
        pdf.write_bytes(response.data)
        tool = require_tool("pdftotext")
        return subprocess.run([tool, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    body = response.get_data(as_text=True)
    if response.mimetype == "text/html":
        body = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S))
    return body


def _assert_no_warning(text: str, where: str) -> None:
    found = [word for word in WARNING_WORDS if word in text.lower()]
    assert not found, (where, found)


def _employer_get_rules(app: Flask) -> list[str]:
    policies = endpoint_policies(app)
    return [
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ())
        and not rule.endpoint.endswith("static")
        and policies.get(rule.endpoint, "") != "public"
        and EMPLOYER_ROLES & set(policies.get(rule.endpoint, "").split(","))
    ]


@pytest.mark.parametrize("locale", ["en", "nl", "fr"])
def test_no_employer_output_of_a_positive_with_warning_file_says_warning(app, factory, as_role, locale, tmp_path):
    org = factory.organisation()
    requester_client, requester = as_role("requester", org)
    hr_client, hr = as_role("hr", org)
    for user in (requester, hr):
        db.session.execute(
            update(User).where(User.id == user.id).values(email=f"{user.username}@employer.example", locale=locale)
        )
    db.session.commit()
    officer_client, _officer = as_role("officer")
    application = factory.application("in_review", requester=requester)
    response = act(officer_client, application.id, "advise_positive_with_warning", reason=GROUNDS, disclosed="")
    assert response.status_code == 302
    later = utcnow() + timedelta(days=32)  # the monthly report of the month of the advice
    assert run_job(app, "monthly_reports", holder="test", now=later).status == "done"
    fresh()
    application = db.session.get(type(application), application.id)
    report = db.session.scalar(select(Report).where(Report.organisation_id == org.id))
    assert report is not None and application.clearance_id is not None
    values = {
        "application_id": application.id,
        "clearance_id": application.clearance_id,
        "report_id": report.id,
        "fmt": "csv",
    }

    read = []
    for rule in _employer_get_rules(app):
        names = [match.split(":")[-1] for match in re.findall(r"<([^>]+)>", rule)]
        if any(name not in values for name in names):
            continue
        path = rule
        for name in names:
            path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(values[name]), path)
        for path_variant in {path, path.replace(".csv", ".pdf")}:
            for client in (requester_client, hr_client):
                response = client.get(path_variant)
                assert response.status_code < 500, (path_variant, response.status_code)
                if response.status_code == 200:
                    _assert_no_warning(_visible_text(response, tmp_path), path_variant)
                    read.append(path_variant)
    assert {f"/applications/{application.id}", f"/reports/{report.id}.csv", f"/reports/{report.id}.pdf"} <= set(read)
    detail = _visible_text(requester_client.get(f"/applications/{application.id}"), tmp_path)
    assert POSITIVE[locale] in detail  # the timeline names the advice an employer is told

    page = hr_client.get(f"/certificates/clearances/{application.clearance_id}")
    token = csrf_token(page.text)
    for url in (f"/certificates/clearances/{application.clearance_id}.pdf", "/certificates/register.csv"):
        response = hr_client.post(url, data={"csrf_token": token})
        assert response.status_code == 200, url
        _assert_no_warning(_visible_text(response, tmp_path), url)

    fresh()
    mails = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient.like("%@employer.example"))))
    assert {"advice_outcome", "report_ready"} <= {mail.template for mail in mails}
    for mail in mails:
        _assert_no_warning(f"{mail.subject}\n{mail.body}\n{mail.context}", mail.template)


def test_every_read_of_grounds_is_on_the_trail_whoever_reads_them(app, factory, as_role):
    officer_client, officer = as_role("officer")
    requester_client, requester = as_role("requester")
    application = factory.application("in_review", officer=officer, requester=requester)
    assert act(officer_client, application.id, "advise_positive_with_warning", reason=GROUNDS).status_code == 302
    auditor = factory.user("auditor")
    auditor_client = sign_in(app.test_client(), auditor)
    for client in (officer_client, auditor_client, auditor_client, requester_client):
        assert client.get(f"/applications/{application.id}").status_code == 200
    assert GROUNDS in auditor_client.get(f"/applications/{application.id}").text
    assert GROUNDS not in requester_client.get(f"/applications/{application.id}").text
    fresh()
    reads = list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "read_grounds", AuditEntry.object_id == application.id)
        )
    )
    assert sorted((entry.actor, entry.role) for entry in reads) == sorted(
        [(officer.username, "officer")] + [(auditor.username, "auditor")] * 3
    )
    assert all(entry.organisation_id == application.organisation_id for entry in reads)

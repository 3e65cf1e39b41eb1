"""No page, PDF, CSV or mail shows a UTC time: with the clock at 23:30 UTC on 14 March 2026 (00:30 on the
15th in Brussels) every page each role can open shows the Brussels date and never the UTC one."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from scheduler.runner import run_job
from screening.auth.access import endpoint_policies
from screening.db import db
from screening.notifications.models import OutboxMessage
from screening.reports.models import Report
from tests.conftest import fresh, require_service

LATE = datetime(2026, 3, 14, 23, 30, tzinfo=UTC)
#: The UTC day and clock in every way the pages, PDFs and CSV files write them.
UTC_TRACES = re.compile(
    r"14 Mar(ch)? 2026|Mar 14|14 m(rt|aart|ars)\.? 2026|14[./]03[./]2026|2026-03-14|23:30|11:30(:00)? ?PM|\bUTC\b"
)
BRUSSELS = "15 Mar 2026"


def _visible(body: str) -> str:
    """The text a reader sees: no scripts, styles or tags (attributes may carry ISO dates for machines)."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def _pdf_text(data: bytes) -> str:
    if shutil.which("pdftotext") is None:
        require_service("pdftotext", "poppler-utils reads the PDFs")
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def _pages(app: Flask, role: str) -> list[str]:
    """Every GET rule ``role`` may open (public pages too)."""
    policies = endpoint_policies(app)
    rules = []
    for rule in app.url_map.iter_rules():
        policy = policies.get(rule.endpoint, "")
        opens = policy == "public" or role in policy.split(",")
        if opens and "GET" in (rule.methods or ()) and not rule.endpoint.endswith("static"):
            rules.append(rule.rule)
    return rules


def _fill(rule: str, values: dict[str, Any]) -> list[str]:
    """The paths of ``rule`` with this story's ids; none when the story has nothing for an argument."""
    paths = [rule]
    for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule):
        value = values.get(name)
        if value is None:
            return []
        options = value if isinstance(value, list) else [value]
        pattern = f"<{converter}:{name}>" if converter else f"<{name}>"
        paths = [path.replace(pattern, str(option)) for path in paths for option in options]
    return paths


@pytest.fixture
def late_evening(app, factory, as_role):
    with time_machine.travel(LATE, tick=False):
        org = factory.organisation()
        clients = {role: as_role(role, org if role in ("requester", "hr") else None) for role in
                   ("requester", "hr", "officer", "admin", "auditor")}  # fmt: skip
        requester = clients["requester"][1]
        positive = factory.application("positive", requester=requester, mail=True)
        factory.application("in_review", requester=requester)
        factory.application("awaiting_consent", requester=requester, mail=True)
        for job in ("weekly_report", "deliver_mail"):
            assert run_job(app, job, holder="test", now=LATE).status == "done"
        fresh()
        message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
        values = {
            "application_id": positive.id, "clearance_id": positive.clearance_id, "person_id": positive.person_id,
            "organisation_id": org.id, "user_id": clients["officer"][1].id, "function_id": positive.function_id,
            "message_id": message.id if message else None, "fmt": ["pdf", "csv"],
            "report_id": db.session.scalar(select(Report.id)),
        }  # fmt: skip
        yield clients, values


def test_every_page_shows_the_brussels_date_at_half_past_eleven_utc(app, late_evening):
    clients, values = late_evening
    shown: dict[str, str] = {}
    with time_machine.travel(LATE, tick=False):
        for role, (client, _user) in clients.items():
            for rule in _pages(app, role):
                for path in _fill(rule, values):
                    response = client.get(path)
                    assert response.status_code < 500, (role, path, response.status_code)
                    if response.status_code != 200:
                        continue
                    if response.mimetype == "application/pdf":
                        text = _pdf_text(response.data)
                    elif response.mimetype == "text/html":
                        text = _visible(response.get_data(as_text=True))
                    elif response.mimetype.startswith("text/"):
                        text = response.get_data(as_text=True)
                    else:
                        continue
                    trace = UTC_TRACES.search(text)
                    assert trace is None, (role, path, text[max(0, trace.start() - 80) : trace.end() + 80])
                    shown[f"{role} {path}"] = text
    # the pages that show a moment of this story show it on the Brussels day
    for page in ("officer /applications/{application_id}", "admin /admin/jobs", "officer /reports",
                 "admin /admin/outbox", "auditor /audit", "officer /queue", "requester /applications"):  # fmt: skip
        key = page.format(**values)
        assert key in shown, (key, sorted(shown)[:50])
        assert BRUSSELS in shown[key], (key, shown[key][:2000])
    assert "00:30" in shown["admin /admin/jobs"]


def test_mail_is_written_on_the_brussels_day(late_evening):
    with time_machine.travel(LATE, tick=False):
        fresh()
        bodies = [message.subject + message.body for message in db.session.scalars(select(OutboxMessage))]
    assert bodies
    for body in bodies:
        assert UTC_TRACES.search(body) is None, body

"""Downloads (issue 12 item 10): each one is audited outside the download's read transaction, so four people
downloading at once on SQLite never meet "database is locked" (48 of 80 downloads failed before), and every
file is sent ``Cache-Control: no-store``."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from screening.audit.models import AuditEntry
from screening.certificates.signing import generate_keypair
from screening.db import db
from screening.extensions import settings
from screening.reports.models import Report
from screening.reports.operations import build_operations_report, build_organisation_reports
from tests.conftest import PASSWORD, csrf_token, data_context, fresh, sign_in
from tests.support.served import served

USERS = 4
DOWNLOADS_EACH = 20


@pytest.fixture
def app(make_app):
    application = make_app(certificates={"private_key": generate_keypair().private_pem.decode()})
    with data_context(application):
        yield application


@pytest.fixture
def live(app) -> Iterator[str]:
    """The app behind a real threaded HTTP server on a free loopback port (one connection per request)."""
    with served(app) as base_url:
        yield base_url


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


class Downloader:
    """One person with a browser of their own (cookies), signing in through the form."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )
        page = self.call("/login")[2].decode()
        status, _headers, _body = self.call(
            "/login", {"csrf_token": csrf_token(page), "username": username, "password": PASSWORD}
        )
        assert status == 302
        self.answers: list[tuple[int, str, bytes]] = []

    def call(self, path: str, data: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=60) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def download(self, paths: list[str], start: threading.Barrier) -> None:
        start.wait()
        for path in paths:
            status, headers, body = self.call(path)
            self.answers.append((status, headers.get("Cache-Control", ""), body[:200]))


def _reports(factory: Any) -> tuple[Any, list[int], list[Any]]:
    """An organisation's monthly report and the authority's weekly one; two HR and two officers."""
    org = factory.organisation()
    factory.application("positive", requester=factory.user("requester", org))
    now = datetime.now(UTC) + timedelta(days=32)
    build_organisation_reports(now, settings())
    build_operations_report(now, settings())
    factory.commit()
    ids = list(db.session.scalars(select(Report.id).order_by(Report.id)))
    assert len(ids) == 2
    users = [factory.user("hr", org), factory.user("hr", org), factory.user("officer"), factory.user("officer")]
    return org, ids, users


def test_four_people_downloading_reports_at_once_are_all_served_and_all_audited(app, factory, live):
    _org, report_ids, users = _reports(factory)
    organisation_report = report_ids[0]
    people = [Downloader(live, user.username) for user in users]
    start = threading.Barrier(USERS)
    threads = []
    for person in people:
        paths = [f"/reports/{organisation_report}.{'pdf' if n % 2 else 'csv'}" for n in range(DOWNLOADS_EACH)]
        threads.append(threading.Thread(target=person.download, args=(paths, start)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    answers = [answer for person in people for answer in person.answers]
    assert len(answers) == USERS * DOWNLOADS_EACH
    failed = [(status, body) for status, _cache, body in answers if status != 200]
    assert failed == [], failed[:3]
    assert {cache for _status, cache, _body in answers} == {"no-store"}
    fresh()
    audited = db.session.execute(
        select(AuditEntry.actor, func.count())
        .where(AuditEntry.action == "download_report", AuditEntry.object_id == organisation_report)
        .group_by(AuditEntry.actor)
    ).all()
    assert dict(audited) == {user.username: DOWNLOADS_EACH for user in users}


def test_every_kind_of_download_is_sent_no_store(app, factory):
    org, report_ids, users = _reports(factory)
    hr = sign_in(app.test_client(), users[0])
    officer = sign_in(app.test_client(), users[2])
    application = factory.application("positive", requester=factory.user("requester", org))
    clearance_id, person_id = application.clearance_id, application.person_id
    token = csrf_token(hr.get(f"/certificates/clearances/{clearance_id}").text)
    responses = {
        "report pdf": hr.get(f"/reports/{report_ids[0]}.pdf"),
        "report csv": hr.get(f"/reports/{report_ids[0]}.csv"),
        "certificate": hr.post(f"/certificates/clearances/{clearance_id}.pdf", data={"csrf_token": token}),
        "register": hr.post("/certificates/register.csv", data={"csrf_token": token}),
        "zip": hr.post("/certificates/zip", data={"csrf_token": token, "scope": "all"}),
        "subject json": officer.get(f"/people/{person_id}/export.json"),
        "subject pdf": officer.get(f"/people/{person_id}/export.pdf"),
    }
    for kind, response in responses.items():
        assert response.status_code == 200, kind
        assert re.match(r"attachment", response.headers.get("Content-Disposition", "")), kind
        assert response.headers["Cache-Control"] == "no-store", kind
        response.close()
    fresh()
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.role.in_(("hr", "officer")))))
    assert {"download_report", "export_certificate", "export_certificates", "export_clearance_register"} <= actions
    assert {"export_subject_json", "export_subject_pdf"} <= actions

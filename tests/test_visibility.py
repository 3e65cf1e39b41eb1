"""The role table of the brief, enforced in queries: another organisation's files are 404, grounds
and officer notes never reach employer pages."""

from __future__ import annotations

import pytest

from screening.applications.models import Application
from screening.db import db
from tests.conftest import csrf_token, fresh

GROUNDS = "Contacts with a criminal organisation (confidential police report 2026/123)"


@pytest.fixture
def two_employers(factory, as_role):
    org_a, org_b = factory.organisation(), factory.organisation()
    client_a, requester_a = as_role("requester", org_a)
    requester_b = factory.user("requester", org_b)
    positive_b = factory.application("positive", requester=requester_b)
    negative_b = factory.application("in_review", requester=requester_b)
    return client_a, requester_a, requester_b, positive_b, negative_b


def test_requester_never_reads_another_organisations_file(two_employers):
    client_a, _requester_a, _requester_b, positive_b, negative_b = two_employers
    for application in (positive_b, negative_b):
        assert client_a.get(f"/applications/{application.id}").status_code == 404
    assert client_a.get(f"/clearances/{positive_b.clearance_id}").status_code == 404


def test_requester_never_lists_or_searches_another_organisations_file(two_employers, factory):
    client_a, requester_a, _requester_b, positive_b, negative_b = two_employers
    own = factory.application("draft", requester=requester_a)

    def links(html: str) -> set[str]:
        return {
            f"/applications/{a.id}" for a in (own, positive_b, negative_b) if f'href="/applications/{a.id}"' in html
        }

    listing = client_a.get("/applications").text
    assert links(listing) == {f"/applications/{own.id}"}
    for query in (positive_b.reference, "Family", negative_b.reference[:8]):
        found = client_a.get("/applications", query_string={"q": query}).text
        assert links(found) <= {f"/applications/{own.id}"}
    assert f'href="/clearances/{positive_b.clearance_id}"' not in client_a.get("/clearances").text
    assert client_a.get("/home").status_code == 200


def test_requester_never_acts_on_another_organisations_file(two_employers):
    client_a, _requester_a, _requester_b, _positive_b, negative_b = two_employers
    page = client_a.get("/applications")
    for event in ("withdraw", "provide_info", "submit", "consent", "advise_positive"):
        response = client_a.post(
            f"/applications/{negative_b.id}/{event}",
            data={
                f"{event}-csrf_token": csrf_token(page.text),
                f"{event}-version": str(negative_b.version),
                f"{event}-reason": "x",
            },
        )
        assert response.status_code == 404
    fresh()
    assert db.session.get(Application, negative_b.id).state == "in_review"


def test_hr_sees_only_its_own_clearances(factory, as_role):
    org_a, org_b = factory.organisation(), factory.organisation()
    hr_client, _ = as_role("hr", org_a)
    mine = factory.application("positive", requester=factory.user("requester", org_a))
    theirs = factory.application("positive", requester=factory.user("requester", org_b))
    listing = hr_client.get("/clearances").text
    assert f'href="/clearances/{mine.clearance_id}"' in listing
    assert f'href="/clearances/{theirs.clearance_id}"' not in listing
    assert hr_client.get(f"/clearances/{mine.clearance_id}").status_code == 200
    assert hr_client.get(f"/clearances/{theirs.clearance_id}").status_code == 404


def _negative_file(factory, requester):
    from datetime import UTC, datetime

    from screening.actors import Actor
    from screening.applications import operations
    from screening.extensions import settings

    application = factory.application("in_review", requester=requester)
    operations.fire(
        application,
        "advise_negative",
        Actor(label="officer-x", role="officer"),
        settings().deadlines,
        reason=GROUNDS,
        now=datetime.now(UTC),
    )
    application.officer_notes = "Officer note: check again in 2027"
    factory.commit()
    return application


def test_grounds_never_reach_employer_pages(factory, as_role):
    org = factory.organisation()
    requester_client, requester = as_role("requester", org)
    hr_client, _ = as_role("hr", org)
    application = _negative_file(factory, requester)
    pages = [
        requester_client.get(f"/applications/{application.id}"),
        requester_client.get("/applications"),
        requester_client.get("/home"),
        hr_client.get("/clearances"),
        hr_client.get("/home"),
    ]
    for page in pages:
        assert page.status_code == 200
        assert "criminal organisation" not in page.text
        assert "Officer note" not in page.text
    detail = pages[0].text
    assert "Negative advice" in detail
    assert "Positive with warning" not in detail


def test_officer_sees_grounds_and_the_read_is_audited(factory, as_role):
    from sqlalchemy import select

    from screening.audit.models import AuditEntry

    officer_client, officer = as_role("officer")
    application = _negative_file(factory, factory.user("requester"))
    page = officer_client.get(f"/applications/{application.id}")
    assert GROUNDS in page.text
    fresh()
    reads = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "read_grounds", AuditEntry.object_id == application.id)
    ).all()
    assert [(entry.actor, entry.role) for entry in reads] == [(officer.username, "officer")]


def test_admin_does_not_see_applications(factory, as_role):
    admin_client, _ = as_role("admin")
    application = factory.application("in_review")
    assert admin_client.get("/applications").status_code == 403
    assert admin_client.get(f"/applications/{application.id}").status_code == 403
    assert admin_client.get("/queue").status_code == 403


def test_auditor_reads_but_cannot_act(factory, as_role):
    auditor_client, _ = as_role("auditor")
    application = factory.application("in_review")
    page = auditor_client.get(f"/applications/{application.id}")
    assert page.status_code == 200
    assert "/advise_positive" not in page.text
    response = auditor_client.post(
        f"/applications/{application.id}/advise_positive",
        data={"advise_positive-csrf_token": csrf_token(page.text), "advise_positive-version": "1"},
    )
    assert response.status_code == 403
    assert auditor_client.get("/audit").status_code == 200

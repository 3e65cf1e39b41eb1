"""The whole story of a file in a real browser: the requester's new application, the person's consent
through the link, the officer's advice; and role isolation seen from the browser."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from screening.applications.models import Application
from screening.db import db
from screening.people.identifiers import make_national_number
from tests.browser.conftest import screenshot, sign_in
from tests.conftest import PASSWORD, fresh

pytestmark = pytest.mark.browser


def _person_link(app, application_id: int) -> str:  # type: ignore[no-untyped-def]
    from screening.people.views import link_for

    fresh()
    application = db.session.get(Application, application_id)
    with app.test_request_context():
        return "/p/" + link_for(application).rsplit("/p/", 1)[1]


def test_positive_story(app, factory, live_server, new_page):  # type: ignore[no-untyped-def]
    org = factory.organisation(name="Antwerp Terminal Services NV")
    requester = factory.user("requester", org)
    officer = factory.user("officer")
    function = factory.function()

    page = new_page()
    sign_in(page, live_server, requester.username, PASSWORD)
    page.get_by_role("link", name="New application").first.click()
    page.get_by_label("Given names").fill("Anna")
    page.get_by_label("Family name").fill("Nowak-Wiśniewska")
    page.get_by_label("Date of birth").fill("1990-05-06")
    page.get_by_label("Nationality").select_option("BE")
    page.get_by_label("National register number").fill(make_national_number(date(1990, 5, 6), 42))
    page.get_by_label("E-mail address of the person").fill("anna@example.org")
    page.get_by_label("Critical function").select_option(str(function.id))
    page.get_by_role("button", name="Save as draft").click()
    page.get_by_text("saved as a draft").wait_for()
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Awaiting consent").first.wait_for()
    application_id = int(re.search(r"/applications/(\d+)", page.url).group(1))

    person = new_page(width=390, height=844, locale="nl-BE")
    person.goto(live_server + _person_link(app, application_id))
    screenshot(person, "consent-phone")
    person.get_by_role("button", name="I consent to the verification").click()
    person.get_by_text("Your consent was recorded").wait_for()

    officer_page = new_page()
    sign_in(officer_page, live_server, officer.username, PASSWORD)
    officer_page.goto(f"{live_server}/queue")
    screenshot(officer_page, "officer-queue")
    officer_page.get_by_role("link", name=re.compile(r"SCR-\d{4}-\d{6}")).first.click()
    officer_page.get_by_role("button", name="Start review").click()
    officer_page.get_by_role("button", name="Positive advice", exact=True).click()
    officer_page.get_by_text("Done: Positive advice").wait_for()
    screenshot(officer_page, "application-detail")

    page.reload()
    assert page.get_by_text("Positive advice").first.is_visible()
    fresh()
    stored = db.session.scalar(select(Application).where(Application.id == application_id))
    assert stored.state == "positive"
    assert stored.clearance_id is not None


def test_role_isolation_in_the_browser(app, factory, live_server, new_page):  # type: ignore[no-untyped-def]
    mine = factory.application("in_review")
    theirs = factory.application("in_review")
    requester = db.session.get(type(mine).created_by.property.mapper.class_, mine.created_by_id)
    page = new_page()
    sign_in(page, live_server, requester.username, PASSWORD)
    page.goto(f"{live_server}/applications")
    assert page.get_by_role("link", name=mine.reference).is_visible()
    assert page.get_by_role("link", name=theirs.reference).count() == 0
    response = page.goto(f"{live_server}/applications/{theirs.id}")
    assert response.status == 404
    assert page.get_by_text("not yours to see").is_visible()
    response = page.goto(f"{live_server}/queue")
    assert response.status == 403

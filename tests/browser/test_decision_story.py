"""Chromium story of a decision and its appeal: an officer records a negative advice through the review step
(a message at the missing field, then the check page with what the person and the employer will each
receive), records the appeal with its lodging date and letter, then the ruling; the file shows the three
decisions with the advice's original grounds intact. Screenshots at desktop and phone width; axe-core on
the new pages in en, nl and fr."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from screening.applications.models import Application
from screening.db import db
from screening.decisions.models import Decision
from tests.browser.conftest import choose_language, screenshot, sign_in
from tests.conftest import PASSWORD, fresh

pytestmark = pytest.mark.browser

GROUNDS = "Convicted in 2019 for smuggling goods through the port of Antwerp."
DISCLOSED = "A criminal conviction relevant to port security."
RULING = "The appeal body finds the conviction too old to weigh on this function."
AXE = Axe()


def _serious(page) -> list[str]:
    violations = AXE.run(page).response["violations"]
    return [f"{page.url}: {v['id']} {v['help']}" for v in violations if v["impact"] in ("serious", "critical")]


def test_an_officer_records_an_advice_its_appeal_and_the_ruling(app, factory, live_server, new_page, tmp_path):
    officer = factory.user("officer")
    application = factory.application("in_review")
    other = factory.application("in_review")
    letter = Path(tmp_path / "appeal-letter.pdf")
    letter.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    page = new_page()
    sign_in(page, live_server, officer.username, PASSWORD)
    base = f"{live_server}/applications/{application.id}"
    page.goto(base)
    assert page.locator(f'form[action="/applications/{application.id}/advise_negative"]').count() == 0
    page.get_by_role("link", name="Record the advice").click()
    screenshot(page, "advice-form-desktop")
    problems = _serious(page)

    page.get_by_label("Negative advice").check()
    page.get_by_label("Grounds the person may be told").fill(DISCLOSED)
    page.get_by_role("button", name="Continue").click()
    assert page.locator("#reason-error").inner_text() == "Write the grounds (authority only)."
    assert page.locator(".alert-danger").count() == 0
    screenshot(page, "advice-form-missing-grounds-desktop")
    problems += _serious(page)
    page.get_by_label("Grounds (authority only)").fill(GROUNDS)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers before you confirm")).to_be_visible()
    person = page.locator("section", has=page.locator("#preview-person")).inner_text()
    employer = page.locator("section", has=page.locator("#preview-employer")).inner_text()
    assert DISCLOSED in person and GROUNDS not in person
    assert GROUNDS not in employer and DISCLOSED not in employer
    screenshot(page, "advice-check-desktop")
    problems += _serious(page)
    fresh()
    assert db.session.get(Application, application.id).state == "in_review"  # nothing recorded yet
    page.get_by_role("button", name="Confirm: Negative advice").click()
    page.wait_for_url(base)

    page.get_by_role("link", name="Record appeal").click()
    lodged = (datetime.now(UTC) - timedelta(days=2)).date()
    page.get_by_label("Date the appeal was lodged").fill(lodged.isoformat())
    page.get_by_label("Appeal letter (PDF, JPEG or PNG)").set_input_files(str(letter))
    screenshot(page, "appeal-form-desktop")
    problems += _serious(page)
    page.get_by_role("button", name="Continue").click()
    assert "appeal-letter.pdf" in page.locator("#check-letter").inner_text()
    screenshot(page, "appeal-check-desktop")
    page.get_by_role("button", name="Confirm: Record appeal").click()
    page.wait_for_url(base)

    page.get_by_role("link", name="Appeal upheld").click()
    page.get_by_label("Grounds of the ruling (authority only)").fill(RULING)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Confirm: Appeal upheld").click()
    page.wait_for_url(base)

    decisions = page.locator("#decisions li.decision")
    assert decisions.count() == 3
    texts = [decisions.nth(i).inner_text() for i in range(3)]
    assert "Negative advice" in texts[0] and GROUNDS in texts[0] and DISCLOSED in texts[0]
    assert "Record appeal" in texts[1] and "Appeal letter" in texts[1]
    assert "Appeal upheld" in texts[2] and RULING in texts[2] and "Annuls the advice on appeal" in texts[2]
    screenshot(page, "decisions-history-desktop")
    problems += _serious(page)

    phone = new_page(width=390, height=844)
    sign_in(phone, live_server, officer.username, PASSWORD)
    phone.goto(base)
    screenshot(phone, "decisions-history-phone")
    phone.goto(f"{live_server}/applications/{other.id}/decide/advice")
    phone.get_by_label("Positive advice with warning").check()
    phone.get_by_role("button", name="Continue").click()
    screenshot(phone, "advice-form-missing-grounds-phone")
    phone.get_by_label("Grounds (authority only)").fill(GROUNDS)
    phone.get_by_role("button", name="Continue").click()
    screenshot(phone, "advice-check-phone")
    for label in ("Nederlands", "Français"):
        choose_language(phone, label)
        phone.goto(f"{live_server}/applications/{other.id}/decide/advice")
        problems += _serious(phone)
        phone.goto(base)
        problems += _serious(phone)
    assert problems == []

    fresh()
    rows = db.session.query(Decision).filter(Decision.application_id == application.id).order_by(Decision.id).all()
    assert [(d.kind, d.grounds) for d in rows] == [("advice", GROUNDS), ("appeal", None), ("ruling", RULING)]
    assert rows[1].decided_on == lodged

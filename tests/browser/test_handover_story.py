"""Hand-overs in a real browser: the officer asks, the requester answers with a document, the officer opens
it; the requester receives the question by mail; a Dutch-speaking person downloads the notice of a negative
advice in Dutch and finds the appeal address. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select, update

from screening.actors import Actor
from screening.applications import operations
from screening.auth.models import User
from screening.db import db
from screening.extensions import settings
from screening.notifications.models import OutboxMessage
from tests.browser.conftest import file_link, screenshot, sign_in
from tests.conftest import PASSWORD, fresh

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_an_answer_with_a_document_reaches_the_officer(app, factory, live_server, new_page):
    requester = factory.user("requester")
    officer = factory.user("officer")
    db.session.execute(update(User).where(User.id == requester.id).values(email="hr@employer.example"))
    factory.commit()
    application = factory.application("in_review", requester=requester)

    officer_page = new_page()
    sign_in(officer_page, live_server, officer.username, PASSWORD)
    officer_page.goto(f"{live_server}/applications/{application.id}")
    officer_page.get_by_label("Question to the employer").fill("Please send the diploma.")
    officer_page.get_by_role("button", name="Request information").click()
    officer_page.get_by_text(f"Information requested for application {application.reference}", exact=False).wait_for()

    fresh()
    mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "hr@employer.example")).all()
    assert [m.template for m in mails] == ["info_requested"]
    assert "Please send the diploma." in mails[0].body

    page = new_page(width=390, height=844)  # the requester on a phone
    sign_in(page, live_server, requester.username, PASSWORD)
    page.goto(f"{live_server}/applications/{application.id}")
    page.get_by_label("Your answer").fill("Attached.")
    documents = page.get_by_label("Documents (optional)")
    documents.set_input_files({"name": "notes.pdf", "mimeType": "application/pdf", "buffer": b"not a pdf"})
    page.get_by_role("button", name="Provide information").click()
    page.get_by_text("notes.pdf is not a PDF, JPEG or PNG file", exact=False).wait_for()
    page.get_by_label("Your answer").fill("Attached.")
    page.get_by_label("Documents (optional)").set_input_files(
        {"name": "diploma.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    screenshot(page, "answer-with-document-phone")
    page.get_by_role("button", name="Provide information").click()
    page.get_by_text(f"Your answer for application {application.reference}", exact=False).wait_for()
    assert page.get_by_role("link", name="diploma.pdf").count() == 0  # officers only

    officer_page.reload()
    screenshot(officer_page, "answer-documents-officer")
    with officer_page.expect_download() as download_info:
        officer_page.get_by_role("link", name="diploma.pdf").click()
    assert Path(download_info.value.path()).read_bytes() == PDF


def test_a_dutch_person_downloads_the_notice_and_finds_the_appeal_address(app, factory, live_server, new_page):
    person = factory.person_details(locale="nl")
    application = factory.application("in_review", person=person)
    operations.fire(
        application, "advise_negative", Actor(label="officer-x", role="officer"), settings().deadlines,
        reason="Authority only", disclosed_grounds="U verzweeg een veroordeling.",
    )  # fmt: skip
    factory.commit()
    page = new_page(width=390, height=844, locale="nl-BE")
    page.goto(live_server + file_link(app, application.id))  # the notice: only through the person's own link
    expect(page.get_by_text("Leuvenseweg 48 bus 5", exact=False).first).to_be_visible()
    screenshot(page, "person-notice-phone")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download uw kennisgeving (pdf)").click()
    pdf = Path(download_info.value.path()).read_bytes()
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Negatief veiligheidsadvies" in text
    assert "Beroepsorgaan inzake veiligheidsmachtigingen, -attesten en -adviezen" in text
    assert "Leuvenseweg 48 bus 5" in text
    assert "Authority only" not in text
